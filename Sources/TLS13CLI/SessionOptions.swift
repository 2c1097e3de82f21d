import ArgumentParser
import TLS13

/// `--sess-out`, `--sess-in` and `--ticket-wait`: saving a session to a file and resuming it later, as
/// `openssl s_client -sess_out/-sess_in` do (shared by `connect` and `get`).
struct SessionOptions: ParsableArguments {
    @Option(name: .customLong("sess-out"), help: ArgumentHelp("""
        After the handshake, wait for a session ticket (see --ticket-wait) and save the newest session to this \
        file (PEM-style text, mode 0600: it holds the resumption key). Rewritten if newer tickets arrive later.
        """, valueName: "file"))
    var sessionOut: String?

    @Option(name: .customLong("sess-in"), help: ArgumentHelp("""
        Resume the session saved in this file by --sess-out. It must have been issued for the same server \
        name; a session from an --insecure connection is only resumed with --insecure. An expired session is \
        ignored (full handshake).
        """, valueName: "file"))
    var sessionIn: String?

    @Option(name: .customLong("ticket-wait"), help: ArgumentHelp("""
        With --sess-out (and --reconnect): how long to wait for the server's first session ticket after the \
        handshake, in seconds, at most 60 (0: take only tickets that already arrived). Data that arrives \
        meanwhile is kept and printed.
        """, valueName: "seconds"))
    var ticketWait: Double = 1

    func validate() throws {
        guard ticketWait >= 0, ticketWait <= 60 else {
            throw ValidationError("--ticket-wait must be a number of seconds from 0 to 60")
        }
        if let sessionOut { try SessionFile.checkWritable(sessionOut) }
    }

    /// The session from `--sess-in`, if given and usable for `serverName` with `configuration`.
    ///
    /// - Throws: ``CLIFailure`` (usage) when the file is unreadable, holds no session, was issued for another
    ///   server name, or comes from an unverified connection while this one verifies.
    func loadSession(serverName: String, configuration: TLSClientConfiguration) throws(CLIFailure) -> TLSSession? {
        guard let sessionIn else { return nil }
        let session = try SessionFile.read(sessionIn)
        guard session.serverName.lowercased() == serverName.lowercased() else {
            throw CLIFailure(.usage, "the session in \(sessionIn) was issued for '\(session.serverName)', not "
                + "'\(serverName)' (a session authenticates only the server that issued it; see --servername)")
        }
        if configuration.verifyCertificates, !session.certificateVerified {
            throw CLIFailure(.usage, "the session in \(sessionIn) comes from a connection whose certificate was "
                + "not verified (--insecure); it can only be resumed with --insecure")
        }
        let now = Posix.wallClockMilliseconds()
        guard session.isValid(atMilliseconds: now) else {
            StandardStreams.printError("tls13: note: the session in \(sessionIn) has expired (its lifetime was "
                + "\(session.lifetime) s): doing a full handshake")
            return nil
        }
        return session
    }

    /// A note on stderr when a session was given but the library did not offer it (its certificate chain is not
    /// accepted now, say): the handshake was a full one.
    static func reportSessionNotOffered(_ connection: TLSConnection) {
        guard let reason = connection.sessionInfo.sessionNotOfferedReason else { return }
        StandardStreams.printError("tls13: note: the saved session was not offered: \(reason); the handshake was a full one")
    }

    /// Waits (at most ``ticketWait`` seconds) for a ticket when `--sess-out` is given.
    func waitForTicketIfSaving(_ connection: TLSConnection) throws(CLIFailure) {
        guard sessionOut != nil else { return }
        do {
            _ = try connection.waitForSessionTicket(timeout: ticketWait)
        } catch {
            throw CLIFailure(error)
        }
    }

    /// The text `1 s`, `0.5 s` for messages.
    var ticketWaitText: String {
        ticketWait == ticketWait.rounded() ? "\(Int(ticketWait)) s" : "\(ticketWait) s"
    }
}
