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

    @Option(name: .customLong("pin-sha256"), help: ArgumentHelp("""
        Also require a certificate of the verified chain to have this public key: the base64 SHA-256 of its \
        SubjectPublicKeyInfo (RFC 7469 pin-sha256). Repeat for several (a backup key). Not with --insecure.
        """, valueName: "base64"))
    var pins: [String] = []

    @Option(help: ArgumentHelp("""
        Seconds allowed for the TCP connect, for the TLS handshake, for each wait for data, and for the server to \
        take what is written (default: 10 s for connect and handshake, no limit while waiting for data, 30 s for a \
        server that stops reading).
        """, valueName: "seconds"))
    var timeout: Double?

    @Option(name: .customLong("cert"), help: ArgumentHelp("""
        PEM certificate chain (client certificate first) to present when the server asks for one; needs --key.
        """, valueName: "file"))
    var certificateFile: String?

    @Option(name: .customLong("key"), help: ArgumentHelp(
        "PEM private key (unencrypted) of the --cert certificate; needs --cert.", valueName: "file"))
    var keyFile: String?

    @Option(name: .customLong("keylog"), help: ArgumentHelp("""
        Append the connection's traffic secrets to this file in the NSS key log format (what Wireshark reads), \
        early traffic secrets included; created with mode 0600. Without it, the SSLKEYLOGFILE environment variable \
        names the file. Anyone with these lines can decrypt the connection: for debugging only.
        """, valueName: "file"))
    var keyLog: String?

    func validate() throws {
        switch (certificateFile, keyFile) {
        case (nil, nil), (.some, .some): break
        case (.some, nil): throw ValidationError("--cert needs --key (the certificate's private key)")
        case (nil, .some): throw ValidationError("--key needs --cert (the certificate chain)")
        }
        if let timeout, !(timeout > 0 && timeout <= 86_400) {
            throw ValidationError("--timeout must be a number of seconds greater than 0 (at most 86400)")
        }
        if let serverName, serverName.isEmpty {
            throw ValidationError("--servername must not be empty")
        }
        if !pins.isEmpty, insecure {
            throw ValidationError("--pin-sha256 adds to certificate verification: it cannot be used with --insecure")
        }
        for pin in pins {
            do {
                _ = try TLSPublicKeyPin(base64: pin)
            } catch {
                throw ValidationError("--pin-sha256 \(pin): not the base64 of a 32-byte SHA-256 digest")
            }
        }
    }

    /// A client configuration with these options applied.
    /// - Throws: ``CLIFailure`` (usage) when `--cert`/`--key` cannot be loaded or do not match.
    func configuration() throws(CLIFailure) -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.serverName = serverName
        if let caFile { config.trustRoots = .pemFile(caFile) }
        config.verifyCertificates = !insecure
        config.pinnedPublicKeys = pins.compactMap { try? TLSPublicKeyPin(base64: $0) }  // checked in validate()
        if let timeout {
            config.connectTimeout = timeout
            config.handshakeTimeout = timeout
            config.ioTimeout = timeout
            config.writeTimeout = timeout
        }
        if let certificateFile, let keyFile {
            do {
                config.clientCertificate = try TLSClientCertificate(
                    certificateChainFile: certificateFile, privateKeyFile: keyFile)
            } catch {
                throw CLIFailure(error)
            }
        }
        config.keyLog = try KeyLogFile.writer(path: keyLog)
        ErrorExplanation.remember(config)
        return config
    }
}
