import ArgumentParser
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
            client certificate, OCSP, tcp connect, tls handshake. A resumed connection has no server certificate of \
            its own: peer, issuer and expires describe the session's certificate, which was checked again (trust, \
            name, dates, stapled OCSP response) before the session was offered, and verified says "yes (resumed: \
            the session's certificate, checked again now)". "client certificate:" is "sent", "not sent" (asked for, \
            none given) or "not requested". "OCSP:" is what the server's stapled OCSP response said: "good (next update \
            …)", "unknown (…)", "none" (no response), "not requested" (--no-ocsp) or "not verified" (--insecure).

            Then stdin is sent to the server while whatever the server sends is written to stdout. At the end \
            of stdin tls13 sends close_notify and keeps reading until the server closes: a clean close \
            (close_notify) exits 0; a TCP end without close_notify is reported as truncation (exit 1). So

              printf 'GET / HTTP/1.0\\r\\n\\r\\n' | tls13 connect example.com

            prints the whole response.

            Resumption: --sess-out FILE waits up to --ticket-wait seconds (default 1) after the handshake for a \
            session ticket and saves the session (mode 0600, it holds a key); --sess-in FILE resumes it. \
            --reconnect does two handshakes, the second resuming the first. --early-data FILE (with --sess-in) \
            sends FILE as 0-RTT data; 0-RTT data can be replayed by an attacker.

              tls13 connect localhost:4433 --sess-out s.pem </dev/null
              tls13 connect localhost:4433 --sess-in s.pem --early-data req.txt

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

    @OptionGroup var parameters: ParameterOptions
    @OptionGroup var ech: ECHOptions

    @Flag(name: [.short, .long], help: "Do not print the connection summary.")
    var quiet = false

    @OptionGroup var sessionOptions: SessionOptions

    @Flag(name: .customLong("reconnect"), help: ArgumentHelp("""
        Connect twice: a handshake (resuming --sess-in if given), wait for a session ticket (--ticket-wait), \
        close, then a second connection resuming that ticket. Prints a summary for each; stdin is not read. \
        Exits 0 when both handshakes succeed, also if the second did not resume (its summary says \
        "resumed: no" and a note explains).
        """))
    var reconnect = false

    @Option(name: .customLong("early-data"), help: ArgumentHelp("""
        Send this file's content as 0-RTT early data with the first flight; needs --sess-in. The summary's \
        "early data:" line says accepted, rejected or not sent. WARNING: 0-RTT data can be replayed by an \
        attacker (RFC 8446 section 8): send only requests that are safe to repeat.
        """, valueName: "file"))
    var earlyDataFile: String?

    @Flag(name: .customLong("resend-early-data"), help: ArgumentHelp("""
        If the --early-data data was not accepted as 0-RTT (rejected by the server, or not sendable with the \
        session), send it as ordinary data right after the handshake.
        """))
    var resendEarlyData = false

    func validate() throws {
        if earlyDataFile != nil, sessionOptions.sessionIn == nil {
            throw ValidationError("--early-data needs --sess-in (0-RTT data is sent only when resuming a session)")
        }
        if resendEarlyData, earlyDataFile == nil {
            throw ValidationError("--resend-early-data needs --early-data")
        }
        if reconnect, earlyDataFile != nil {
            throw ValidationError("--early-data cannot be combined with --reconnect")
        }
    }

    func run() throws {
        var config = try tls.configuration()
        if let alpn { config.applicationProtocols = alpn }
        parameters.apply(to: &config)
        ech.apply(to: &config)
        let session = try sessionOptions.loadSession(
            serverName: tls.serverName ?? Self.host(of: address), configuration: config)
        let earlyData = try earlyDataFile.map(Self.readEarlyData)

        if reconnect {
            try runTwice(config: config, session: session)
            return
        }
        let connection = try connect(config: config, session: session, earlyData: earlyData)
        if !quiet { SessionSummary.print(connection) }
        if let earlyData { try reportEarlyData(earlyData, session: session, connection: connection, config: config) }

        let saver = SessionSaver(path: sessionOptions.sessionOut)
        try sessionOptions.waitForTicketIfSaving(connection)
        try saver.save(from: connection)
        do {
            try Pump(connection: connection).run()
        } catch {
            try? saver.save(from: connection)
            throw error
        }
        try saver.save(from: connection)
        saver.reportIfNothingSaved(waited: sessionOptions.ticketWaitText)
    }

    private func connect(config: TLSClientConfiguration, session: TLSSession?, earlyData: [UInt8]?)
        throws(CLIFailure) -> TLSConnection
    {
        let connection = try ech.connecting(config) { (config) throws(TLSError) in
            try TLSConnection.connect(
                to: address, defaultPort: 443, configuration: config, session: session, earlyData: earlyData,
                resendRejectedEarlyData: resendEarlyData)
        }
        SessionOptions.reportSessionNotOffered(connection)
        return connection
    }

    /// `--reconnect`: two handshakes, the second resuming the first's newest ticket; no data is exchanged.
    private func runTwice(config: TLSClientConfiguration, session: TLSSession?) throws(CLIFailure) {
        let saver = SessionSaver(path: sessionOptions.sessionOut)
        let first = try connect(config: config, session: session, earlyData: nil)
        if !quiet {
            StandardStreams.printError("--- connection 1")
            SessionSummary.print(first)
        }
        do {
            _ = try first.waitForSessionTicket(timeout: sessionOptions.ticketWait)
        } catch {
            first.close()
            throw CLIFailure(error)
        }
        first.close()
        try saver.save(from: first)
        let ticket = first.receivedSessions.last
        if ticket == nil {
            StandardStreams.printError("tls13: note: no session ticket arrived within "
                + "\(sessionOptions.ticketWaitText): connection 2 does a full handshake")
        }

        let second = try connect(config: config, session: ticket, earlyData: nil)
        defer { second.close() }
        if !quiet {
            StandardStreams.printError("--- connection 2")
            SessionSummary.print(second)
        }
        if ticket != nil, !second.sessionInfo.resumed {
            StandardStreams.printError("tls13: note: the server did not resume the session: connection 2 was a "
                + "full handshake")
        }
        try sessionOptions.waitForTicketIfSaving(second)
        try saver.save(from: second)
        saver.reportIfNothingSaved(waited: sessionOptions.ticketWaitText)
    }

    /// Says what became of the early data when it was not accepted, and sends it now if asked to.
    private func reportEarlyData(
        _ data: [UInt8], session: TLSSession?, connection: TLSConnection, config: TLSClientConfiguration
    ) throws(CLIFailure) {
        switch connection.sessionInfo.earlyData {
        case .accepted:
            break
        case .rejected:
            // With --resend-early-data the library has already sent it again.
            if !resendEarlyData {
                StandardStreams.printError("tls13: note: the server rejected the early data: it was not delivered "
                    + "(--resend-early-data sends it after the handshake)")
            }
        case .notSent:
            let reason = EarlyDataCheck.obstacle(session: session, size: data.count, configuration: config)
                ?? "the session was not offered"
            if resendEarlyData {
                StandardStreams.printError("tls13: note: early data not sent as 0-RTT (\(reason)): sending it "
                    + "after the handshake")
                do {
                    try connection.write(data)
                } catch {
                    throw CLIFailure(error)
                }
            } else {
                StandardStreams.printError("tls13: note: early data not sent: \(reason)")
            }
        }
    }

    /// The content of the `--early-data` file.
    static func readEarlyData(_ path: String) throws(CLIFailure) -> [UInt8] {
        guard let data = StandardStreams.readFile(path) else {
            throw CLIFailure(.usage, "cannot read --early-data file \(path)")
        }
        guard !data.isEmpty else { throw CLIFailure(.usage, "--early-data file \(path) is empty") }
        return data
    }

    /// The host part of an address as `TLSConnection.connect(to:)` reads it (``Endpoint``): `[v6]:port` → `v6`,
    /// `host:port` → `host`. An unparsable address is returned unchanged (connecting reports it).
    static func host(of address: String) -> String {
        (try? Endpoint.parse(address, defaultPort: 443).host) ?? address
    }

    /// Host and port of an address (default port 443), or a usage failure.
    static func hostAndPort(_ address: String) throws(CLIFailure) -> (String, UInt16) {
        do {
            let endpoint = try Endpoint.parse(address, defaultPort: 443)
            return (endpoint.host, endpoint.port)
        } catch {
            throw CLIFailure(error)
        }
    }
}
