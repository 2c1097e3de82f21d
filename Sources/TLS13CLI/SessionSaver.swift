import TLS13

/// Writes the newest session received to the `--sess-out` file, each new one once.
final class SessionSaver {
    /// The file, or `nil` when `--sess-out` was not given (then nothing is written).
    let path: String?
    private var saved: TLSSession?

    init(path: String?) {
        self.path = path
    }

    /// Whether a session has been written.
    var hasSaved: Bool { saved != nil }

    /// Writes `connection`'s newest session unless it was written already or there is none.
    func save(from connection: TLSConnection) throws(CLIFailure) {
        guard let path, let newest = connection.receivedSessions.last, newest != saved else { return }
        try SessionFile.write(newest, to: path)
        saved = newest
    }

    /// Says on stderr that no session was saved, if that is so (an existing file is left as it was).
    func reportIfNothingSaved(waited: String) {
        guard let path, saved == nil else { return }
        StandardStreams.printError("tls13: note: no session ticket arrived (waited \(waited)); \(path) was not written")
    }
}
