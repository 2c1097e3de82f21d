import ArgumentParser
import Foundation
import TLS13

/// `tls13 connect HOST[:PORT]`: handshake, print a summary, then copy stdin to the server and the server to
/// stdout until the server closes.
struct ConnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Connect to a TLS 1.3 server and copy stdin to it and its replies to stdout.",
        discussion: """
            After the handshake a summary goes to stderr (unless --quiet), one "name: value" per line: \
            protocol, cipher, group, signature, ALPN, resumed, early data, peer, issuer, expires, verified, \
            tcp connect, tls handshake.

            Then stdin is sent to the server while whatever the server sends is written to stdout. At the end \
            of stdin tls13 sends close_notify and keeps reading until the server closes: a clean close \
            (close_notify) exits 0; a TCP end without close_notify is reported as truncation (exit 1). So

              printf 'GET / HTTP/1.0\\r\\n\\r\\n' | tls13 connect example.com

            prints the whole response.

            \(ExitStatus.helpText)
            """
    )

    @Argument(help: ArgumentHelp(
        "Server address: host, host:port, IPv4:port or [IPv6]:port (default port 443).", valueName: "host[:port]"))
    var address: String

    @OptionGroup var tls: TLSOptions

    @Option(help: ArgumentHelp(
        "ALPN protocols to offer, comma-separated, most preferred first (e.g. h2,http/1.1).", valueName: "list"),
        transform: NameLists.protocols)
    var alpn: [String]?

    @Option(help: ArgumentHelp("""
        Key exchange groups to offer, comma-separated, most preferred first; a key share is sent for the \
        first. IANA or OpenSSL names: x25519/X25519, secp256r1/P-256, secp384r1/P-384.
        """, valueName: "list"), transform: NameLists.groups)
    var groups: [NamedGroup]?

    @Option(help: ArgumentHelp("""
        TLS 1.3 cipher suites to offer, comma-separated, most preferred first: TLS_AES_128_GCM_SHA256, \
        TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256 (OpenSSL-style names like AES128-GCM-SHA256 too).
        """, valueName: "list"), transform: NameLists.ciphers)
    var ciphers: [CipherSuite]?

    @Flag(name: [.short, .long], help: "Do not print the connection summary.")
    var quiet = false

    func run() throws {
        var config = tls.configuration()
        if let alpn { config.applicationProtocols = alpn }
        if let groups, let first = groups.first {
            config.supportedGroups = groups
            config.keyShareGroups = [first]
        }
        if let ciphers { config.cipherSuites = ciphers }

        let connection: TLSConnection
        do {
            connection = try TLSConnection.connect(to: address, defaultPort: 443, configuration: config)
        } catch {
            throw CLIFailure(error)
        }
        if !quiet { SessionSummary.print(connection) }
        try Pump(connection: connection).run()
    }
}
