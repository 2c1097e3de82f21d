import ArgumentParser
import Glibc
import TLS13

/// `tls13 get URL`: one HTTP/1.1 GET over TLS 1.3; the body goes to stdout or a file.
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Fetch an https:// URL with HTTP/1.1 GET and write the body to stdout.",
        discussion: """
            Sends GET with Host (with the port when it is not 443), Connection: close, \
            User-Agent: tls13/\(TLS13.version) and any -H headers (a -H header with the same name replaces \
            the default). The body is read by Content-Length, decoded from Transfer-Encoding: chunked, or read \
            until the server's close_notify. ALPN offers http/1.1.

            --sess-out FILE saves the session after the response (waiting up to --ticket-wait seconds for a \
            ticket if none came yet); --sess-in FILE resumes a saved session. --cert/--key present a client \
            certificate when the server asks for one.

            A non-2xx status still writes the body, then prints "tls13: HTTP <code> <reason>" on stderr and \
            exits 22 (like curl -f).

            \(ExitStatus.helpText)
            """
    )

    @Argument(help: ArgumentHelp("https://host[:port][/path][?query]; IPv6 hosts in brackets.", valueName: "url"))
    var url: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the body to this file instead of stdout.",
                                                    valueName: "file"))
    var output: String?

    @Flag(name: [.short, .customLong("include")], help: "Print the status line and headers before the body.")
    var include = false

    @Option(name: .customShort("H"), help: ArgumentHelp(
        "Extra request header, 'Name: value' (repeatable).", valueName: "header"))
    var headers: [String] = []

    @OptionGroup var tls: TLSOptions

    @OptionGroup var parameters: ParameterOptions
    @OptionGroup var ech: ECHOptions

    @Flag(name: [.short, .long], help: "Print the TLS connection summary to stderr.")
    var verbose = false

    @OptionGroup var sessionOptions: SessionOptions

    func validate() throws {
        do {
            _ = try HTTPSURL(url)
        } catch {
            throw ValidationError(error.description)
        }
        for header in headers { _ = try Self.parseHeader(header) }
    }

    /// `Name: value` → (name, value); the name must be a token, and neither part may hold CR, LF or NUL.
    static func parseHeader(_ text: String) throws -> HTTPHeaderField {
        // Bytes, not Characters: "\r\n" is one Character and would equal neither "\r" nor "\n".
        guard !text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
            throw ValidationError("header '\(text)' contains a line break")
        }
        do {
            return try HTTPResponseParser.parseField(Array(text.utf8)[...])
        } catch {
            throw ValidationError("header '\(text)' is not of the form 'Name: value'")
        }
    }

    func run() throws {
        let url = try HTTPSURL(url)  // validated in validate()
        let extra = try headers.map(Self.parseHeader)
        var config = try tls.configuration()
        parameters.apply(to: &config)
        ech.apply(to: &config)
        config.applicationProtocols = ["http/1.1"]
        let session = try sessionOptions.loadSession(serverName: tls.serverName ?? url.host, configuration: config)

        let connection = try ech.connecting(config) { (config) throws(TLSError) in
            try TLSConnection.connect(to: url.address, configuration: config, session: session)
        }
        defer { connection.close() }
        SessionOptions.reportSessionNotOffered(connection)
        if verbose { SessionSummary.print(connection) }

        let sink = try BodySink(path: output)
        let head = try HTTPGet.run(
            connection: connection, url: url, extraHeaders: extra,
            onHead: { head in if include { StandardStreams.writeStdout(HTTPGet.headText(head)) } },
            onBody: { bytes in try sink.write(bytes) })
        try sink.close()
        try saveSession(connection)
        if !head.isSuccess {
            let reason = head.reasonPhrase.isEmpty ? "" : " \(head.reasonPhrase)"
            throw CLIFailure(.httpError, "HTTP \(head.statusCode)\(reason)")
        }
    }
}

extension GetCommand {
    /// `--sess-out`: the newest ticket received while the response was read; if none yet, waits up to
    /// `--ticket-wait` for one (a failure of that wait is ignored: the response is complete).
    func saveSession(_ connection: TLSConnection) throws(CLIFailure) {
        let saver = SessionSaver(path: sessionOptions.sessionOut)
        guard saver.path != nil else { return }
        if connection.receivedSessions.isEmpty {
            _ = try? connection.waitForSessionTicket(timeout: sessionOptions.ticketWait)
        }
        try saver.save(from: connection)
        saver.reportIfNothingSaved(waited: sessionOptions.ticketWaitText)
    }
}

/// Where the body goes: stdout, or a file created (truncated) when the command starts reading.
private final class BodySink {
    /// The output file's descriptor, or -1 for stdout.
    private var fd: Int32
    private let path: String?

    init(path: String?) throws(CLIFailure) {
        self.path = path
        guard let path else {
            fd = -1
            return
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw CLIFailure(.usage, "cannot create output file \(path): \(Posix.errorText())") }
    }

    func write(_ bytes: [UInt8]) throws(CLIFailure) {
        guard fd >= 0 else {
            StandardStreams.writeStdout(bytes)
            return
        }
        guard StandardStreams.write(bytes, to: fd) else {
            throw CLIFailure(.tlsFailure, "cannot write to \(path ?? "output file"): \(Posix.errorText())")
        }
    }

    func close() throws(CLIFailure) {
        guard fd >= 0 else { return }
        let rc = Glibc.close(fd)
        fd = -1
        guard rc == 0 else {
            throw CLIFailure(.tlsFailure, "cannot write to \(path ?? "output file"): \(Posix.errorText())")
        }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }
}
