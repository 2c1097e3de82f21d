import ArgumentParser
import TLS13

@main
struct TLS13Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls13",
        abstract: "A TLS 1.3 client in Swift.",
        version: TLS13.version
    )
}
