import ArgumentParser
import TLS13

/// The options every command that connects shares: whom to trust, what name to check, how long to wait.
struct TLSOptions: ParsableArguments {
    @Option(name: .customLong("servername"), help: ArgumentHelp(
        "Name sent in SNI and checked against the certificate (default: the host).", valueName: "name"))
    var serverName: String?

    @Option(name: .customLong("cafile"), help: ArgumentHelp(
        "PEM file of trusted root certificates, used instead of the system store.", valueName: "file"))
    var caFile: String?

    @Flag(help: """
        Do not verify the certificate chain or name. The server must still prove it holds the \
        certificate's key; the summary then says "verified: no (--insecure)".
        """)
    var insecure = false

    @Option(help: ArgumentHelp("""
        Seconds allowed for the TCP connect, for the TLS handshake, and for each wait for data \
        (default: 10 s for connect and handshake, no limit while waiting for data).
        """, valueName: "seconds"))
    var timeout: Double?

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout <= 86_400) {
            throw ValidationError("--timeout must be a number of seconds greater than 0 (at most 86400)")
        }
        if let serverName, serverName.isEmpty {
            throw ValidationError("--servername must not be empty")
        }
    }

    /// A client configuration with these options applied.
    func configuration() -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.serverName = serverName
        if let caFile { config.trustRoots = .pemFile(caFile) }
        config.verifyCertificates = !insecure
        if let timeout {
            config.connectTimeout = timeout
            config.handshakeTimeout = timeout
            config.ioTimeout = timeout
        }
        return config
    }
}
