import ArgumentParser
import TLS13

/// `tls13 demo`: the whole client against a local `openssl s_server`, with no network and no setup beyond the
/// repository's test certificates.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a local openssl s_server and show a handshake and an HTTPS GET against it.",
        discussion: """
            Starts `openssl s_server -www` on 127.0.0.1 (a free port) with the test certificates in Certs/ \
            (leaf-ecdsa-p256 with intermediate.pem), connects to it and prints the connection summary, fetches / and prints \
            the first lines of the page, then stops the server (also when a step fails or on Ctrl-C). Needs \
            only the openssl command (Debian package openssl); no network.

            Certs/ is looked for in --certs, then $TLS13_CERTS, then in the current directory and its parents, \
            then in the parents of the tls13 executable (so `swift run tls13 demo` works from the package).

            Exit status: 0 when every step worked; 1 when a step failed (the reason is on stderr).
            """
    )

    @Option(help: ArgumentHelp("The test PKI folder (holds ca.pem, intermediate.pem, leaf-ecdsa-p256.pem/.key).",
                               valueName: "dir"))
    var certs: String?

    @Option(help: ArgumentHelp("The openssl executable (default: openssl on PATH).", valueName: "path"))
    var openssl: String?

    @Option(help: ArgumentHelp("How many lines of the page to print.", valueName: "n"))
    var lines = 12

    func run() throws {
        let certsDirectory = try locateCerts()
        let opensslPath = try locateOpenSSL()
        let leaf = "\(certsDirectory)/leaf-ecdsa-p256.pem"
        let key = "\(certsDirectory)/leaf-ecdsa-p256.key"
        let intermediate = "\(certsDirectory)/intermediate.pem"
        let ca = "\(certsDirectory)/ca.pem"

        let server = try DemoServer(openssl: opensslPath, arguments: [
            "s_server", "-accept", "127.0.0.1:0", "-tls1_3", "-cert", leaf, "-key", key,
            "-cert_chain", intermediate, "-www",
        ])
        defer { server.stop() }
        say("started openssl s_server -www on 127.0.0.1:\(server.port) (pid \(server.pid)), certificate \(leaf)")

        var config = TLSClientConfiguration()
        config.trustRoots = .pemFile(ca)
        config.serverName = "localhost"
        config.connectTimeout = 5
        config.handshakeTimeout = 5
        config.ioTimeout = 10

        // 1. trace: one connection being made, TCP and TLS on one timeline.
        say("")
        say("$ tls13 trace 127.0.0.1:\(server.port) --cafile \(ca) --servername localhost")
        var traced = config
        let recorder = TraceRecorder()
        traced.eventHandler = { recorder.record($0) }
        traced.applicationProtocols = ["http/1.1"]
        let endpoint: Endpoint
        do {
            endpoint = try Endpoint(host: "127.0.0.1", port: Int(server.port))
        } catch {
            throw CLIFailure(error)
        }
        let run = TraceRun.run(
            endpoint: endpoint, configuration: traced,
            request: TraceCommand.requestBytes("GET / HTTP/1.0\\r\\n\\r\\n", host: "localhost"))
        var document = TraceDocument(
            host: "127.0.0.1", port: server.port, serverName: "localhost", address: run.remoteAddress,
            localAddress: run.localAddress, startedAt: run.startedAt, secretsIncluded: false)
        document.entries = TraceEntries.entries(from: recorder.events, sent: run.sent, received: run.received)
        document.totalMs = recorder.origin.map { TraceEntries.milliseconds(ContinuousClock.now - $0) } ?? 0
        document.info = run.info
        if let failure = run.failure {
            throw CLIFailure(.tlsFailure, "demo: trace failed: \(ErrorExplanation.line(for: failure))")
        }
        StandardStreams.writeStdout(Array(TraceText(document: document, color: TraceCommand.colorWanted()).render().utf8))

        // 2. get: the s_server -www page.
        let url = try HTTPSURL("https://localhost:\(server.port)/")
        say("")
        say("$ tls13 get https://localhost:\(server.port)/ --cafile \(ca) -i   (first \(lines) lines)")
        var getConfig = config
        getConfig.serverName = nil
        getConfig.applicationProtocols = ["http/1.1"]
        var page: [UInt8] = []
        let head: HTTPResponseHead
        do {
            let connection = try TLSConnection.connect(to: url.address, configuration: getConfig)
            defer { connection.close() }
            head = try HTTPGet.run(connection: connection, url: url, onHead: { _ in },
                                   onBody: { page += $0 })
        } catch let error as TLSError {
            throw CLIFailure(.tlsFailure, "demo: get failed: \(error.description)")
        } catch let failure as CLIFailure {
            throw CLIFailure(failure.status, "demo: get failed: \(failure.message)")
        }
        var shown = [head.statusLine] + head.headers.map { "\($0.name): \($0.value)" } + [""]
        shown += String(decoding: page, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        for line in shown.prefix(max(lines, 1)) { say(line) }
        if shown.count > lines { say("… (\(page.count) bytes of body in all)") }
        // The server's own view of the connection, from further down the page.
        let serverView = shown.dropFirst(lines).filter { $0.hasPrefix("New, ") || $0.hasPrefix("Shared groups:") }
        if !serverView.isEmpty {
            say("server's view: " + serverView.joined(separator: "; "))
        }
        guard head.isSuccess, !page.isEmpty else {
            throw CLIFailure(.tlsFailure, "demo: unexpected answer \(head.statusLine) with \(page.count) bytes")
        }
        server.stop()
        say("")
        say("What you saw: the TCP three-way handshake, then the TLS 1.3 handshake in one round trip — ClientHello with key")
        say("shares out, ServerHello back, and everything after it encrypted (EncryptedExtensions, Certificate,")
        say("CertificateVerify, Finished) — then HTTP over TLS and close_notify each way. Try --format html -o trace.html.")
        say("")
        say("demo OK: TLS 1.3 handshake and HTTPS GET against openssl s_server; server stopped")
    }

    private func say(_ line: String) {
        StandardStreams.writeStdout(Array((line + "\n").utf8))
    }

    /// --certs, $TLS13_CERTS, ./Certs and the parents' Certs, then the executable's parents' Certs.
    private func locateCerts() throws(CLIFailure) -> String {
        try CertsLocator.locate(explicit: certs, command: "demo")
    }

    private func locateOpenSSL() throws(CLIFailure) -> String {
        if let openssl { return openssl }
        if let found = Posix.executable(named: "openssl") { return found }
        throw CLIFailure(.tlsFailure, "demo: the openssl command is not installed (apt-get install openssl, "
            + "or run Scripts/install-deps.sh)")
    }
}
