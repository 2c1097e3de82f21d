import TLS13

/// The exit codes of `tls13`, documented in `tls13 --help` and Docs/CLI.md.
enum ExitStatus: Int32 {
    /// Everything worked (for `get`: and the HTTP status was 2xx).
    case success = 0
    /// TLS or certificate failure (handshake failure, alert, bad certificate, truncated stream, malformed
    /// HTTP response).
    case tlsFailure = 1
    /// Usage error: unknown option or name, bad address or URL, unreadable CA, certificate, key, session or
    /// early-data file, a session for another server, configuration the library refuses (e.g. a group it does
    /// not implement).
    case usage = 2
    /// Network failure: DNS lookup, connection refused or reset.
    case network = 3
    /// A time limit passed (TCP connect, handshake, or a wait for data).
    case timeout = 4
    /// `get`: the server answered with a status other than 2xx (as `curl -f`).
    case httpError = 22

    /// The one place where library errors become exit codes.
    static func forError(_ error: TLSError) -> ExitStatus {
        switch error {
        case .network(step: .parseAddress, _), .invalidConfiguration:
            return .usage
        case .network:
            return .network
        case .timedOut:
            return .timeout
        case .decode, .protocolViolation, .certificateRejected, .alertReceived, .truncated, .closed, .internalError,
             .echRejected:
            return .tlsFailure
        }
    }

    /// The help text that lists the codes (shown by `--help` of every command).
    static let helpText = """
        Exit status:
          0   success
          1   TLS or certificate failure: one line on stderr,
              "tls13: <reason> (alert <name>, <code>)"; also a truncated
              stream, a malformed HTTP response, a failed write of the output
          2   usage error: bad option, unknown cipher or group name, bad
              address or URL, unreadable --cafile, --cert/--key (or a key
              that does not match), unusable --sess-in or --early-data file,
              a group or suite the library does not implement
          3   network error: DNS lookup, connection refused or reset
          4   timeout: TCP connect, TLS handshake, or waiting for data
          22  get only: the HTTP status was not 2xx (the body is still written)
        """
}

/// A failure that ends the command: printed as one `tls13: <message>` line on stderr, then the process exits
/// with `status`.
struct CLIFailure: Error {
    var status: ExitStatus
    var message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The error's one line, with what it means when that is not obvious (``ErrorExplanation``).
    init(_ error: TLSError) {
        self.init(ExitStatus.forError(error), ErrorExplanation.line(for: error))
    }
}
