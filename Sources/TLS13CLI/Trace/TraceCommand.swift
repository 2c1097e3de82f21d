import ArgumentParser
import TLS13
import TLS13Capture

#if canImport(Glibc)
import Glibc
#endif

/// `tls13 trace`: one connection, TCP and TLS on one timeline (Docs/Trace.md).
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show one connection being made: TCP and TLS 1.3 on one timeline, as text, JSON or HTML.",
        discussion: """
            Connects as `connect` does, sends a request (default: an HTTP/1.1 GET of /), reads the answer until the \
            server closes, and closes. Then prints the timeline: name resolution, the TCP handshake and the socket's \
            states, every TLS record and handshake message with its decoded essentials, the keys protecting each \
            flight, the application data, the teardown, and a summary (DNS, TCP connect, TLS handshake, first byte, \
            total). A failed handshake prints its trace up to the alert, then the usual one-line error and exit code.

            --format json writes the versioned format of Docs/trace.schema.json; --format html one self-contained \
            file with a sequence diagram. --show-secrets adds the traffic secrets' values (anyone with them can \
            decrypt the connection).

            --from-json FILE draws a trace saved with --format json again, as html (or json), without connecting.
            """)

    @Argument(help: ArgumentHelp("The server, as for connect.", valueName: "host[:port]"))
    var address: String?

    @Option(name: .customLong("from-json"), help: ArgumentHelp("""
        Do not connect: read a trace written by --format json and write it as --format html (or json).
        """, valueName: "file"))
    var fromJSON: String?

    @OptionGroup var tls: TLSOptions
    @OptionGroup var parameters: ParameterOptions
    @OptionGroup var ech: ECHOptions
    @OptionGroup var sessionOptions: SessionOptions

    @Flag(name: .customLong("early-data"), help: ArgumentHelp("""
        Send the request as 0-RTT early data, with the session of --sess-in (replayable by an attacker: only for \
        requests that are safe to repeat).
        """))
    var earlyData = false

    @Flag(name: .customLong("key-update"), help: "After the request, send a KeyUpdate that asks the server to update too.")
    var keyUpdate = false

    @Option(help: ArgumentHelp("""
        Seconds to wait for more data before closing, when the server does not close first (default 10).
        """, valueName: "seconds"))
    var wait: Double = 10

    @Flag(help: ArgumentHelp("""
        Capture the connection's own packets (libpcap; needs CAP_NET_RAW, e.g. root) and show the real TCP segments \
        — SYN, SYN-ACK, ACK with sequence numbers, window and options, which segments carried which records, the \
        FIN/ACK exchange. Done anyway when the process may capture; without the privilege the trace says so and \
        shows the kernel's TCP_INFO instead.
        """))
    var packets = false

    @Flag(name: .customLong("no-packets"), help: "Do not capture packets, even when permitted.")
    var noPackets = false

    @Option(help: ArgumentHelp("""
        Write the captured packets to this pcapng file (mode 0600) with a Decryption Secrets Block holding the \
        connection's key log, so `tshark -r FILE` or Wireshark shows the TLS traffic decrypted with no other file. \
        Implies --packets.
        """, valueName: "file"))
    var pcap: String?

    @Option(help: ArgumentHelp("ALPN protocols to offer, comma-separated (default: http/1.1).", valueName: "list"),
            transform: { $0.split(separator: ",").map(String.init) })
    var alpn: [String]?

    @Option(help: ArgumentHelp("text (default), json or html.", valueName: "format"))
    var format: TraceFormat = .text

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the trace to this file instead of stdout.", valueName: "file"))
    var output: String?

    @Flag(name: .customLong("show-secrets"), help: "Include the traffic secrets' values in the trace.")
    var showSecrets = false

    @Option(help: ArgumentHelp("""
        The bytes to send once connected (\\r and \\n are understood); '' sends nothing and waits for the server to \
        close. Default: GET / HTTP/1.1 with Host and Connection: close.
        """, valueName: "text"))
    var request: String?

    func validate() throws {
        if let output, output.isEmpty { throw ValidationError("-o needs a file name") }
        switch (address, fromJSON) {
        case (nil, nil): throw ValidationError("trace needs a server (host[:port]) or --from-json FILE")
        case (.some, .some): throw ValidationError("--from-json draws a saved trace: give it without a server")
        case (nil, .some):
            if format == .text {
                throw ValidationError("--from-json writes --format html or json (text is drawn from a live connection)")
            }
        case (.some, nil): break
        }
        if earlyData, sessionOptions.sessionIn == nil { throw ValidationError("--early-data needs --sess-in") }
        guard wait > 0, wait <= 3600 else { throw ValidationError("--wait must be a number of seconds from 0 to 3600") }
        if noPackets, packets || pcap != nil { throw ValidationError("--no-packets contradicts --packets and --pcap") }
        if ech.echRetry { throw ValidationError("trace shows one connection: --ech-retry is for connect and get") }
    }

    func run() throws {
        guard let address else { return try redraw(fromJSON ?? "") }
        var config = try tls.configuration()
        parameters.apply(to: &config)
        ech.apply(to: &config)
        config.applicationProtocols = alpn ?? ["http/1.1"]
        config.ioTimeout = wait
        config.traceIncludesSecrets = showSecrets
        let recorder = TraceRecorder()
        config.eventHandler = { recorder.record($0) }
        // The key log goes into the pcapng's Decryption Secrets Block (and to --keylog / SSLKEYLOGFILE as usual).
        let keyLogLines = KeyLogCollector(forwardingTo: config.keyLog)
        if pcap != nil { config.keyLog = { keyLogLines.append($0) } }
        ErrorExplanation.remember(config)

        let endpoint: Endpoint
        do {
            endpoint = try Endpoint.parse(address, defaultPort: 443)
        } catch {
            throw CLIFailure(error)
        }
        let serverName = config.serverName ?? endpoint.host
        let requestBytes = Self.requestBytes(request, host: serverName)
        let session = try sessionOptions.loadSession(serverName: serverName, configuration: config)
        let saver = SessionSaver(path: sessionOptions.sessionOut)
        let capture = TracePackets.start(
            endpoint: endpoint, requested: packets || pcap != nil, automatic: !noPackets)
        let run = TraceRun.run(
            endpoint: endpoint, configuration: config, request: requestBytes, session: session,
            earlyData: earlyData, keyUpdate: keyUpdate, saver: saver)
        let endedAt = ContinuousClock.now
        let captured = capture.finish(localAddress: run.localAddress)

        var document = TraceDocument(
            host: endpoint.host, port: endpoint.port, serverName: serverName, address: run.remoteAddress,
            localAddress: run.localAddress, startedAt: run.startedAt, secretsIncluded: showSecrets)
        var events = recorder.events
        if let local = run.localAddress, let remote = run.remoteAddress, let origin = recorder.origin,
           let state = TLSTCPInfo.kernelState(localAddress: local, remoteAddress: remote) {
            // After the connection is released: what the kernel's socket table still holds for its 4-tuple.
            events.append(TLSTraceEvent(time: ContinuousClock.now - origin, event: .tcpClosed(states: [state], source: "/proc/net/tcp")))
        }
        document.entries = TraceEntries.entries(from: events, sent: run.sent, received: run.received)
        document.totalMs = recorder.origin.map { TraceEntries.milliseconds(endedAt - $0) } ?? 0
        document.capture = (capture.status, capture.detail, capture.interface, nil)
        if let origin = recorder.origin {
            let originWall = TracePackets.wallNanoseconds() - Int64(TraceEntries.milliseconds(ContinuousClock.now - origin) * 1e6)
            document.merge(packets: TracePackets.entries(captured, originWallNanoseconds: originWall))
        }
        if let pcap, let live = capture.capture {
            do {
                try PcapngWriter(capture: live, keyLog: keyLogLines.text).write(captured, to: pcap)
                document.capture.pcapFile = pcap
            } catch {
                StandardStreams.printError("tls13: note: \(error.description)")
            }
        }
        if (packets || pcap != nil), capture.status != "packets" {
            StandardStreams.printError("tls13: note: no packet capture (\(capture.detail ?? capture.status)); "
                + "showing the kernel's TCP_INFO instead")
        }
        document.info = run.info
        if let failure = run.failure {
            document.ok = false
            document.error = failure.description
            document.explanation = ErrorExplanation.explain(failure)
            document.alert = failure.alert?.name
            document.exitStatus = ExitStatus.forError(failure).rawValue
        }

        let text: String
        switch format {
        case .text: text = TraceText(document: document, color: output == nil && Self.colorWanted()).render()
        case .json: text = document.json().text(pretty: true) + "\n"
        case .html: text = TraceHTML.render(document.json())
        }
        try emit(text)
        if let failure = run.failure { throw CLIFailure(failure) }
    }

    /// `--from-json`: a saved trace, drawn again as html (or json).
    private func redraw(_ path: String) throws {
        guard let bytes = StandardStreams.readFile(path) else {
            throw CLIFailure(.usage, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let trace: JSONValue
        do {
            trace = try JSONValue(parsing: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw CLIFailure(.usage, "\(path) is not JSON: \(error)")
        }
        guard case .string("swift-tls13-trace")? = trace["format"] else {
            throw CLIFailure(.usage, "\(path) is not a trace written by tls13 trace --format json")
        }
        switch format {
        case .html: try emit(TraceHTML.render(trace))
        case .json, .text: try emit(trace.text(pretty: true) + "\n")
        }
    }

    /// Writes the trace to `-o FILE` (mode 0600) or stdout.
    private func emit(_ text: String) throws(CLIFailure) {
        if let output {
            guard StandardStreams.writeFile(Array(text.utf8), to: output) else {
                throw CLIFailure(.tlsFailure, "cannot write \(output): \(String(cString: strerror(errno)))")
            }
        } else {
            StandardStreams.writeStdout(Array(text.utf8))
        }
    }

    /// The request: `text` with `\r`, `\n` and `\t` understood, or the default GET.
    static func requestBytes(_ text: String?, host: String) -> [UInt8] {
        guard let text else {
            return Array("GET / HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: tls13-trace\r\nConnection: close\r\n\r\n".utf8)
        }
        var out = ""
        var escaped = false
        for c in text {
            if escaped {
                switch c {
                case "r": out.append("\r")
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append("\\"); out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        if escaped { out.append("\\") }
        return Array(out.utf8)
    }

    /// Colours on a terminal, unless `NO_COLOR` is set (https://no-color.org).
    static func colorWanted() -> Bool {
        if let value = getenv("NO_COLOR"), value.pointee != 0 { return false }
        return isatty(STDOUT_FILENO) == 1
    }
}

enum TraceFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, html
}

/// Collects the library's events (thread-safe) and remembers when the first one's clock started.
final class TraceRecorder: Sendable {
    private let state = Locked<(events: [TLSTraceEvent], origin: ContinuousClock.Instant?)>(([], nil))

    func record(_ event: TLSTraceEvent) {
        let now = ContinuousClock.now
        state.withLock {
            // The event's own time is exact; its arrival here comes a little later (the first call, much later: lazy
            // initialization). The earliest `arrival - time` is the best estimate of when time 0 was.
            let origin = now - event.time
            if $0.origin.map({ origin < $0 }) ?? true { $0.origin = origin }
            $0.events.append(event)
        }
    }

    var events: [TLSTraceEvent] { state.withLock { $0.events } }
    /// The instant the events' times count from (`connect` was called).
    var origin: ContinuousClock.Instant? { state.withLock { $0.origin } }
}

/// One traced connection: connect, send the request, read until the server closes, close.
struct TraceRun {
    var startedAt: String
    var remoteAddress: String?
    var localAddress: String?
    var info: TLSSessionInfo?
    var sent: [UInt8] = []
    var received: [UInt8] = []
    var failure: TLSError?

    /// The most response bytes read (the rest is not waited for).
    static let maxResponse = 1 << 20

    static func run(
        endpoint: Endpoint, configuration: TLSClientConfiguration, request: [UInt8], session: TLSSession? = nil,
        earlyData: Bool = false, keyUpdate: Bool = false, saver: SessionSaver? = nil
    ) -> TraceRun {
        var run = TraceRun(startedAt: Self.isoNow())
        let connection: TLSConnection
        do throws(TLSError) {
            connection = try TLSConnection.connect(
                host: endpoint.host, port: endpoint.port, configuration: configuration, session: session,
                earlyData: earlyData ? request : nil, resendRejectedEarlyData: earlyData)
        } catch {
            run.failure = error
            return run
        }
        run.remoteAddress = connection.remoteAddress
        run.localAddress = connection.localAddress
        run.info = connection.sessionInfo
        do throws(TLSError) {
            if earlyData {
                // Sent as 0-RTT (or, if the server declined it, again right after the handshake).
                run.sent = request
            } else if !request.isEmpty {
                try connection.write(request)
                run.sent = request
            }
            if keyUpdate { try connection.updateKeys(requestPeerUpdate: true) }
            while run.received.count < maxResponse {
                let chunk = try connection.read()
                if chunk.isEmpty { break }  // close_notify
                run.received += chunk
            }
        } catch {
            // A server that does not close after answering: the wait is over, this side closes.
            if case .timedOut = error {} else { run.failure = error }
        }
        run.info = connection.sessionInfo
        if let saver {
            do { try saver.save(from: connection) } catch { StandardStreams.printError("tls13: \(error.message)") }
        }
        connection.close()
        return run
    }

    /// The wall clock now, ISO 8601 UTC with milliseconds.
    static func isoNow() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var seconds = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = Int(ts.tv_nsec / 1_000_000)
        let millis = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
            + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millis)Z"
    }
}

/// The key log lines of one connection, for the pcapng's Decryption Secrets Block; also passed on to the file a
/// `--keylog` (or `SSLKEYLOGFILE`) asked for.
final class KeyLogCollector: Sendable {
    private let lines = Locked<[String]>([])
    private let forward: (@Sendable (String) -> Void)?

    init(forwardingTo forward: (@Sendable (String) -> Void)?) { self.forward = forward }

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
        forward?(line)
    }

    /// The lines, newline-terminated (the NSS key log file format).
    var text: String { lines.withLock { $0.map { $0 + "\n" }.joined() } }
}
