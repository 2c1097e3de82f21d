import Foundation
import Testing
@testable import TLS13
@testable import TLS13CLI

/// `tls13 trace` against `openssl s_server`: the ladder for 1-RTT, HelloRetryRequest, resumption, 0-RTT (accepted and
/// rejected), client authentication, KeyUpdate and a failed handshake; every JSON trace validated against
/// `Docs/trace.schema.json` (Python's jsonschema, from `Scripts/install-deps.sh`'s venv).
@Suite(.serialized) struct TraceCommandTests {
    static let ca = CertPaths.path("ca.pem")
    static var root: String { CertPaths.root.deletingLastPathComponent().path }

    static func trace(_ server: OpenSSLServer, _ extra: [String], timeout: Double = 40,
                      environment: [String: String] = [:]) async throws -> CLIResult {
        try await CLIProcess.run(
            ["trace", "127.0.0.1:\(server.port)", "--servername", "localhost", "--cafile", ca] + extra, stdin: "",
            timeout: timeout, environment: environment)
    }

    /// The trace as JSON, validated against the schema; returns the parsed object.
    static func jsonTrace(_ server: OpenSSLServer, _ extra: [String], environment: [String: String] = [:]) async throws
        -> (CLIResult, [String: Any])
    {
        let result = try await trace(server, ["--format", "json"] + extra, environment: environment)
        try validate(result.stdout)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return (result, object)
    }

    /// Validates `json` against Docs/trace.schema.json; throws with jsonschema's message when it does not.
    static func validate(_ json: String) throws {
        let python = "\(root)/.build-venv/bin/python3"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-trace-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1])); trace = json.load(open(sys.argv[2]))
            jsonschema.Draft202012Validator.check_schema(schema)
            jsonschema.validate(trace, schema, cls=jsonschema.Draft202012Validator)
            print("valid", len(trace["events"]))
            """, "\(root)/Docs/trace.schema.json", file.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0, text.hasPrefix("valid") else {
            throw VectorError(description: "trace does not validate against Docs/trace.schema.json: \(text)")
        }
    }

    static func events(_ trace: [String: Any]) -> [[String: Any]] { trace["events"] as? [[String: Any]] ?? [] }

    /// `(direction, title)` of the handshake messages, in order.
    static func messages(_ trace: [String: Any]) -> [String] {
        events(trace).filter { $0["kind"] as? String == "tls.handshake" }
            .map { "\($0["direction"] as? String ?? "?") \($0["title"] as? String ?? "?")" }
    }

    @Test func aFullHandshakeIsTracedInTextAndJSON() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"])
        defer { server.stop() }
        let text = try await Self.trace(server, [])
        #expect(text.status == 0, "\(text)")
        for step in ["DNS 127.0.0.1", "TCP ESTABLISHED", "ClientHello", "ServerHello", "EncryptedExtensions", "Certificate",
                     "CertificateVerify", "Finished", "secret c hs traffic", "secret s ap traffic", "application data",
                     "close_notify", "tls handshake:", "first byte:"] {
            #expect(text.stdout.contains(step), "\(step) missing from the ladder:\n\(text.stdout)")
        }
        #expect(!text.stdout.contains("\u{1B}["), "no colours when not on a terminal")
        #expect(text.stdout.contains("\"GET / HTTP/1.1\""), "the request's first line is shown")

        let (result, json) = try await Self.jsonTrace(server, [])
        #expect(result.status == 0, "\(result)")
        #expect(Self.messages(json) == [
            "c2s ClientHello", "s2c ServerHello", "s2c EncryptedExtensions", "s2c Certificate", "s2c CertificateVerify",
            "s2c Finished", "c2s Finished", "s2c NewSessionTicket", "s2c NewSessionTicket",
        ])
        let kinds = Set(Self.events(json).compactMap { $0["kind"] as? String })
        for kind in ["dns", "tcp.connect", "tcp.established", "tls.record", "tls.keys", "tls.crypto", "app.data",
                     "tls.close_notify", "tcp.close"] {
            #expect(kinds.contains(kind), "no \(kind) event")
        }
        // close_notify each way: the server's (it closes after the page), then ours.
        let closes = Self.events(json).filter { $0["kind"] as? String == "tls.close_notify" }.compactMap { $0["direction"] as? String }
        #expect(closes == ["s2c", "c2s"])
        let summary = json["summary"] as? [String: Any] ?? [:]
        #expect(summary["cipher"] as? String == "TLS_AES_128_GCM_SHA256")
        let times = ["dnsMs", "tcpConnectMs", "tlsHandshakeMs", "firstByteMs", "totalMs"].compactMap { summary[$0] as? Double }
        #expect(times.count == 5 && times == times.sorted(), "the timings grow: \(times)")
        // Times never go back.
        let t = Self.events(json).compactMap { $0["t"] as? Double }
        #expect(t == t.sorted())
        // No secret values without --show-secrets; with it, 64 hex digits per SHA-256 secret.
        #expect(!Self.events(json).contains { ($0["fields"] as? [String: Any])?["value"] != nil })
        let (_, secrets) = try await Self.jsonTrace(server, ["--show-secrets"])
        let values = Self.events(secrets).compactMap { ($0["fields"] as? [String: Any])?["value"] as? String }
        #expect(values.count >= 5 && values.allSatisfy { $0.count == 64 }, "\(values)")
        #expect(secrets["secretsIncluded"] as? Bool == true)
    }

    /// A trace saved as JSON is drawn again as HTML without connecting: one event element and one detail panel per
    /// event of the saved trace; files that are not traces are refused with a usage error.
    @Test func aSavedTraceIsDrawnAgainFromJSON() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"])
        defer { server.stop() }
        let (result, json) = try await Self.jsonTrace(server, [])
        #expect(result.status == 0, "\(result)")
        let count = Self.events(json).count
        #expect(count > 20)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-from-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let saved = dir.appendingPathComponent("trace.json").path
        try Data(result.stdout.utf8).write(to: URL(fileURLWithPath: saved))

        let page = dir.appendingPathComponent("trace.html").path
        let html = try await CLIProcess.run(["trace", "--from-json", saved, "--format", "html", "-o", page], stdin: "")
        #expect(html.status == 0, "\(html)")
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: page)), as: UTF8.self)
        #expect(text.hasPrefix("<!DOCTYPE html>"), "\(text.prefix(80))")
        #expect(text.components(separatedBy: "<section class=\"detail ").count - 1 == count)
        #expect(text.contains("id=\"ev-\(count - 1)\"") && !text.contains("id=\"ev-\(count)\""))

        // JSON again: the same trace.
        let again = try await CLIProcess.run(["trace", "--from-json", saved, "--format", "json"], stdin: "")
        #expect(again.status == 0, "\(again)")
        let reparsed = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(Self.events(reparsed).count == count)
        try Self.validate(again.stdout)

        // Not a trace, not there, text, or a server as well: usage errors (exit 2), nothing written to stdout.
        let other = dir.appendingPathComponent("other.json").path
        try Data("{\"format\": \"something else\"}".utf8).write(to: URL(fileURLWithPath: other))
        for args in [["--from-json", other, "--format", "html"], ["--from-json", dir.appendingPathComponent("none").path,
                     "--format", "html"], ["--from-json", saved], ["--from-json", saved, "127.0.0.1:1", "--format", "html"],
                     ["--from-json", page, "--format", "html"]] {
            let refused = try await CLIProcess.run(["trace"] + args, stdin: "")
            #expect(refused.status == 2, "\(args): \(refused)")
            #expect(refused.stdout.isEmpty, "\(args)")
        }
    }

    @Test func aHelloRetryRequestSaysWhy() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"], arguments: ["-groups", "P-384"])
        defer { server.stop() }
        let (result, json) = try await Self.jsonTrace(server, [])
        #expect(result.status == 0, "\(result)")
        #expect(Self.messages(json).prefix(4) == ["c2s ClientHello", "s2c HelloRetryRequest", "c2s ClientHello", "s2c ServerHello"])
        let hrr = Self.events(json).first { $0["title"] as? String == "HelloRetryRequest" }
        let reason = (hrr?["fields"] as? [String: Any])?["hrrReason"] as? String
        #expect(reason == "the server wants a key share for P-384")
    }

    @Test func resumptionAndEarlyDataAreTraced() async throws {
        let server = try await OpenSSLServer.start(mode: [], arguments: ["-early_data"])
        defer { server.stop() }
        let session = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-trace-session-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: session) }
        let first = try await Self.trace(server, ["--request", "first\\n", "--wait", "0.5", "--sess-out", session.path])
        #expect(first.status == 0, "\(first)")
        let (resumed, json) = try await Self.jsonTrace(
            server, ["--request", "early\\n", "--wait", "0.5", "--sess-in", session.path, "--early-data"])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(Self.messages(json).prefix(5) == [
            "c2s ClientHello", "s2c ServerHello", "s2c EncryptedExtensions", "s2c Finished", "c2s EndOfEarlyData",
        ])
        let early = Self.events(json).first { $0["kind"] as? String == "tls.early_data" }
        #expect((early?["fields"] as? [String: Any])?["status"] as? String == "accepted")
        let zeroRTT = Self.events(json).first { $0["kind"] as? String == "app.data" }
        #expect(zeroRTT?["epoch"] as? String == "early" && zeroRTT?["direction"] as? String == "c2s")
        #expect((json["summary"] as? [String: Any])?["resumed"] as? Bool == true)
    }

    @Test func rejectedEarlyDataIsTraced() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"])  // no -early_data: 0-RTT is declined
        defer { server.stop() }
        let session = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-trace-session-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: session) }
        _ = try await Self.trace(server, ["--sess-out", session.path])
        // A session without max_early_data: the library does not even send 0-RTT; it says so.
        let (result, json) = try await Self.jsonTrace(server, ["--sess-in", session.path, "--early-data"])
        #expect(result.status == 0, "\(result)")
        #expect((json["summary"] as? [String: Any])?["earlyData"] as? String == "not sent")
    }

    @Test func clientAuthenticationAndKeyUpdateAreTraced() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"], arguments: ["-Verify", "1", "-CAfile", Self.ca])
        defer { server.stop() }
        let (result, json) = try await Self.jsonTrace(server, [
            "--cert", CertPaths.path("client-ecdsa-p256-chain.pem"), "--key", CertPaths.path("client-ecdsa-p256.key"),
            "--key-update",
        ])
        #expect(result.status == 0, "\(result)")
        let messages = Self.messages(json)
        #expect(messages.contains("s2c CertificateRequest"))
        #expect(messages.contains("c2s Certificate") && messages.contains("c2s CertificateVerify"))
        #expect(messages.contains("c2s KeyUpdate"), "\(messages)")
        let updates = Self.events(json).filter { $0["kind"] as? String == "tls.key_update" }.count
        #expect(updates >= 1)
    }

    /// A TLS 1.2-only server: the trace up to the alert, then the one-line error with its explanation and exit 1.
    @Test func aFailedHandshakeStillPrintsItsTrace() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"], versions: ["-tls1_2"])
        defer { server.stop() }
        let text = try await Self.trace(server, [])
        #expect(text.status == 1, "\(text)")
        #expect(text.stdout.contains("ClientHello") && text.stdout.contains("alert protocol_version"), "\(text.stdout)")
        #expect(text.stderr.contains("the server does not offer TLS 1.3, and this client speaks only TLS 1.3"), "\(text)")
        let (result, json) = try await Self.jsonTrace(server, [])
        #expect(result.status == 1)
        let outcome = json["outcome"] as? [String: Any] ?? [:]
        #expect(outcome["ok"] as? Bool == false && outcome["alert"] as? String == "protocol_version")
        #expect((outcome["explanation"] as? String)?.contains("TLS 1.3") == true)
        #expect(outcome["exitStatus"] as? Int == 1)
    }

    /// With capture permitted (CI runs as root): the real segments, SYN / SYN-ACK / ACK with their options, the
    /// records each carried, the FIN/ACK exchange; `--pcap` writes a pcapng that tshark decrypts with no other file.
    @Test func packetsAreCapturedAndWrittenAsDecryptablePcapng() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"])
        defer { server.stop() }
        let pcap = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-trace-\(UUID().uuidString).pcapng")
        defer { try? FileManager.default.removeItem(at: pcap) }
        let (result, json) = try await Self.jsonTrace(server, ["--packets", "--pcap", pcap.path])
        #expect(result.status == 0, "\(result)")
        #expect((json["capture"] as? [String: Any])?["status"] as? String == "packets", "\(result.stderr)")
        let segments = Self.events(json).filter { $0["kind"] as? String == "tcp.segment" }
        func flags(_ e: [String: Any]) -> [String] { (e["fields"] as? [String: Any])?["flags"] as? [String] ?? [] }
        let handshake = segments.prefix(3).map { "\($0["direction"] as? String ?? "") \(flags($0))" }
        #expect(handshake == ["c2s [\"SYN\"]", "s2c [\"SYN\", \"ACK\"]", "c2s [\"ACK\"]"], "\(handshake)")
        let synOptions = ((segments.first?["fields"] as? [String: Any])?["options"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        #expect(synOptions.contains("MSS") && synOptions.contains("WS") && synOptions.contains("SACK_PERM"), "\(synOptions)")
        #expect(segments.filter { flags($0).contains("FIN") }.map { $0["direction"] as? String } .count == 2, "a FIN each way")
        // The ClientHello's record rode in a c2s segment that names it.
        let helloRecord = Self.events(json).firstIndex { $0["kind"] as? String == "tls.record" && $0["direction"] as? String == "c2s" }
        #expect(segments.contains { (($0["fields"] as? [String: Any])?["records"] as? [Int])?.contains(helloRecord ?? -1) == true })
        // The pcapng decrypts on its own (its Decryption Secrets Block holds the key log).
        let tshark = Process()
        tshark.executableURL = URL(fileURLWithPath: "/usr/bin/tshark")
        tshark.arguments = ["-r", pcap.path, "-Y", "http.request", "-T", "fields", "-e", "http.request.method",
                            "-e", "http.request.uri", "-e", "http.request.version"]
        let out = Pipe()
        tshark.standardOutput = out
        tshark.standardError = Pipe()
        let decrypted = try await runBlocking { () -> String in
            try tshark.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            tshark.waitUntilExit()
            return text
        }
        #expect(decrypted.contains("GET\t/\tHTTP/1.1"), "tshark saw: \(decrypted)")
        let mode = (try FileManager.default.attributesOfItem(atPath: pcap.path)[.posixPermissions] as? Int) ?? 0
        #expect(mode == 0o600)
    }

    /// Without the privilege (the test switch TLS13_CAPTURE_DENY): one line says so, and the trace shows TCP_INFO.
    @Test func withoutCapturePrivilegeTheTraceFallsBack() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"])
        defer { server.stop() }
        let (result, json) = try await Self.jsonTrace(server, ["--packets"], environment: ["TLS13_CAPTURE_DENY": "1"])
        #expect(result.status == 0, "\(result)")
        #expect((json["capture"] as? [String: Any])?["status"] as? String == "not-permitted")
        #expect(result.stderrLines.count == 1 && result.stderr.contains("no packet capture") && result.stderr.contains("CAP_NET_RAW"),
                "\(result.stderr)")
        #expect(!Self.events(json).contains { $0["kind"] as? String == "tcp.segment" })
        #expect(Self.events(json).contains { $0["kind"] as? String == "tcp.established" })
        // Without --packets the trace still tries, and stays quiet when it may not capture.
        let quiet = try await Self.trace(server, [], environment: ["TLS13_CAPTURE_DENY": "1"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty && quiet.stdout.contains("capture: not-permitted"), "\(quiet)")
    }

    @Test func theRequestOptionUnderstandsEscapes() {
        #expect(TraceCommand.requestBytes("a\\r\\nb\\t\\\\x\\", host: "h") == Array("a\r\nb\t\\\\x\\".utf8))
        #expect(String(decoding: TraceCommand.requestBytes(nil, host: "example.com"), as: UTF8.self)
            .hasPrefix("GET / HTTP/1.1\r\nHost: example.com\r\n"))
        #expect(TraceCommand.requestBytes("", host: "h").isEmpty)
    }
}
