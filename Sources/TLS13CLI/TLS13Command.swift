import ArgumentParser
import Glibc
import TLS13

@main
struct TLS13Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls13",
        abstract: "A TLS 1.3 client in Swift: connect to servers, fetch https:// URLs, run a local demo.",
        discussion: """
            Examples:
              tls13 demo
              tls13 interop --quick
              tls13 connect example.com:443 --alpn http/1.1
              printf 'GET / HTTP/1.0\\r\\n\\r\\n' | tls13 connect example.com
              tls13 connect 127.0.0.1:4433 --cafile Certs/ca.pem --servername localhost
              tls13 get https://localhost:4433/ --cafile Certs/ca.pem -i
              tls13 connect localhost:4433 --cafile Certs/ca.pem --reconnect
              tls13 connect localhost:4433 --cafile Certs/ca.pem --sess-out s.pem </dev/null
              tls13 connect localhost:4433 --cafile Certs/ca.pem --sess-in s.pem --early-data req.txt
              tls13 connect localhost:4433 --cafile Certs/ca.pem --cert client-chain.pem --key client.key

            \(ExitStatus.helpText)
            """,
        version: TLS13.version,
        subcommands: [ConnectCommand.self, GetCommand.self, TraceCommand.self, DemoCommand.self, BenchCommand.self,
                      InteropCommand.self, VerifyChainCommand.self]
    )

    /// Like ArgumentParser's `main()`, but usage errors exit 2 (not 64) and command failures print one
    /// `tls13: <reason>` line and exit with their ``ExitStatus``.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CLIFailure {
            StandardStreams.printError("tls13: \(failure.message)")
            Glibc.exit(failure.status.rawValue)
        } catch let error as TLSError {
            StandardStreams.printError("tls13: \(ErrorExplanation.line(for: error))")
            Glibc.exit(ExitStatus.forError(error).rawValue)
        } catch {
            if exitCode(for: error) == .validationFailure {
                StandardStreams.printError(fullMessage(for: error))
                Glibc.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}
