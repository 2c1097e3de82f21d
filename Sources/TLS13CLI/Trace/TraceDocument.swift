import TLS13

/// One event of a trace as `tls13 trace` shows it (Docs/Trace.md): the library's ``TLSEvent``s, the captured
/// packets and the application data, in the shape of the JSON format.
struct TraceEntry {
    enum Lane: String { case tcp, tls, app }
    enum Direction: String { case c2s, s2c, local }

    var t: Double  // ms since the start
    var lane: Lane
    var direction: Direction
    var kind: String
    var title: String
    var detail: String? = nil
    var epoch: TLSEpoch? = nil
    var bytes: Int? = nil
    var fields: [(String, JSONValue)] = []
    /// For a captured segment: the bytes of its direction's stream it carried (not written out; used to name the
    /// records it carried).
    var streamRange: Range<Int>? = nil

    func json(seq: Int) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("seq", .integer(Int64(seq))), ("t", .number(t)), ("lane", .string(lane.rawValue)),
            ("direction", .string(direction.rawValue)), ("kind", .string(kind)), ("title", .string(title)),
        ]
        if let detail { members.append(("detail", .string(detail))) }
        if let epoch { members.append(("epoch", .string(epoch.rawValue))) }
        if let bytes { members.append(("bytes", .integer(Int64(bytes)))) }
        if !fields.isEmpty { members.append(("fields", .object(fields))) }
        return .object(members)
    }

    /// A field's value, for the renderers.
    func field(_ name: String) -> JSONValue? { fields.first { $0.0 == name }?.1 }
}

/// A whole trace: what was traced, how it ended, and its entries in time order.
struct TraceDocument {
    var host: String
    var port: UInt16
    var serverName: String?
    var address: String?
    var localAddress: String?
    var startedAt: String
    var secretsIncluded: Bool
    var capture: (status: String, detail: String?, interface: String?, pcapFile: String?) = ("not-requested", nil, nil, nil)
    var ok = true
    var error: String?
    var explanation: String?
    var alert: String?
    var exitStatus: Int32?
    var info: TLSSessionInfo?
    var entries: [TraceEntry] = []
    var totalMs: Double = 0

    static let toolName = "tls13 \(TLS13.version)"

    // MARK: - Summary

    private func firstTime(_ kind: String, direction: TraceEntry.Direction? = nil) -> Double? {
        entries.first { $0.kind == kind && (direction == nil || $0.direction == direction) }?.t
    }

    var dnsMs: Double? { firstTime("dns") }
    var tcpConnectMs: Double? { firstTime("tcp.established") }
    var tlsHandshakeMs: Double? {
        // The client's Finished: the handshake is done from the client's side.
        entries.first { $0.kind == "tls.handshake" && $0.direction == .c2s && $0.title.hasPrefix("Finished") }?.t
    }
    var firstByteMs: Double? { firstTime("app.data", direction: .s2c) }

    var bytesSent: Int { entries.filter { $0.kind == "tls.record" || $0.kind == "app.data" }.filter { $0.direction == .c2s }.reduce(0) { $0 + ($1.bytes ?? 0) } }
    var bytesReceived: Int { entries.filter { $0.kind == "tls.record" || $0.kind == "app.data" }.filter { $0.direction == .s2c }.reduce(0) { $0 + ($1.bytes ?? 0) } }

    // MARK: - JSON

    func json() -> JSONValue {
        func optional(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        func optional(_ d: Double?) -> JSONValue { d.map { .number($0) } ?? .null }
        var outcome: [(String, JSONValue)] = [("ok", .bool(ok))]
        if let error { outcome.append(("error", .string(error))) }
        if let explanation { outcome.append(("explanation", .string(explanation))) }
        if !ok { outcome.append(("alert", optional(alert))) }
        if let exitStatus { outcome.append(("exitStatus", .integer(Int64(exitStatus)))) }
        var capture: [(String, JSONValue)] = [("status", .string(self.capture.status))]
        if let detail = self.capture.detail { capture.append(("detail", .string(detail))) }
        if let interface = self.capture.interface { capture.append(("interface", .string(interface))) }
        capture.append(("pcapFile", optional(self.capture.pcapFile)))
        var summary: [(String, JSONValue)] = [
            ("dnsMs", optional(dnsMs)), ("tcpConnectMs", optional(tcpConnectMs)),
            ("tlsHandshakeMs", optional(tlsHandshakeMs)), ("firstByteMs", optional(firstByteMs)), ("totalMs", .number(totalMs)),
        ]
        if let info {
            summary += [
                ("protocol", .string("\(info.protocolVersion)")), ("cipher", .string("\(info.cipherSuite)")),
                ("group", optional(info.group?.displayName)), ("signature", optional(info.signatureScheme.map { "\($0)" })),
                ("alpn", optional(info.applicationProtocol)), ("resumed", .bool(info.resumed)),
                ("earlyData", .string(info.earlyData.rawValue)), ("helloRetryRequest", .bool(info.usedHelloRetryRequest)),
                ("certificateVerified", .bool(info.certificateVerified)), ("ech", .string("\(info.ech)")),
                ("certificateCompression", optional(info.certificateCompression.map { _ in SessionSummary.compression(info) })),
            ]
        }
        summary += [("bytesSent", .integer(Int64(bytesSent))), ("bytesReceived", .integer(Int64(bytesReceived)))]
        return .object([
            ("format", .string("swift-tls13-trace")),
            ("version", .integer(1)),
            ("tool", .string(Self.toolName)),
            ("target", .object([
                ("host", .string(host)), ("port", .integer(Int64(port))), ("serverName", optional(serverName)),
                ("address", optional(address)), ("localAddress", optional(localAddress)),
            ])),
            ("startedAt", .string(startedAt)),
            ("secretsIncluded", .bool(secretsIncluded)),
            ("capture", .object(capture)),
            ("outcome", .object(outcome)),
            ("summary", .object(summary)),
            ("events", .array(entries.enumerated().map { $1.json(seq: $0) })),
        ])
    }
}

/// The library's events as trace entries.
enum TraceEntries {
    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    static func value(_ v: TLSTraceValue) -> JSONValue {
        switch v {
        case .string(let s): .string(s)
        case .integer(let i): .integer(Int64(i))
        case .bool(let b): .bool(b)
        case .list(let items): .array(items.map(value))
        case .fields(let fields): .object(fields.map { ($0.name, value($0.value)) })
        }
    }

    static func direction(_ d: TLSDirection) -> TraceEntry.Direction { d == .sent ? .c2s : .s2c }

    /// `events` as entries; application data records become `app.data` entries whose previews come from `sent` and
    /// `received` (the plaintext the command wrote and read, in order).
    static func entries(from events: [TLSTraceEvent], sent: [UInt8], received: [UInt8]) -> [TraceEntry] {
        var result: [TraceEntry] = []
        var sentOffset = 0, receivedOffset = 0
        var initialWindowBytes: Int?
        for traced in events {
            let t = milliseconds(traced.time)
            switch traced.event {
            case .nameResolved(let host, let addresses, let duration):
                result.append(TraceEntry(
                    t: t, lane: .tcp, direction: .local, kind: "dns",
                    title: "DNS \(host) → \(addresses.joined(separator: ", ")) (\(format(milliseconds(duration))) ms)",
                    fields: [("name", .string(host)), ("addresses", .array(addresses.map { .string($0) })),
                             ("ms", .number(milliseconds(duration)))]))
            case .tcpConnecting(let remote, let state):
                result.append(TraceEntry(
                    t: t, lane: .tcp, direction: .local, kind: "tcp.connect", title: "TCP connect to \(remote): \(state)",
                    fields: [("state", .string(state)), ("remote", .string(remote))]))
            case .tcpEstablished(let info):
                // RFC 6928: an initial window of 10 segments (the server's own is not visible from here).
                initialWindowBytes = 10 * info.sendMSS
                result.append(TraceEntry(
                    t: t, lane: .tcp, direction: .local, kind: "tcp.established", title: "TCP \(info.state)",
                    detail: "rtt \(format(milliseconds(info.roundTripTime))) ms, mss \(info.sendMSS), cwnd \(info.congestionWindow) segments",
                    fields: tcpFields(info) + [("initialCongestionWindowBytes", .integer(Int64(10 * info.sendMSS)))]))
            case .tcpInfo(let info):
                result.append(TraceEntry(t: t, lane: .tcp, direction: .local, kind: "tcp.info", title: "TCP \(info.state)",
                                         fields: tcpFields(info)))
            case .tcpClosed(let states, let source):
                result.append(TraceEntry(
                    t: t, lane: .tcp, direction: .local, kind: "tcp.close", title: "TCP " + states.joined(separator: " → "),
                    fields: [("states", .array(states.map { .string($0) })), ("source", .string(source))]))
            case .record(let r):
                if r.innerContentType == 23 {
                    var bytes: ArraySlice<UInt8> = []
                    if r.direction == .sent {
                        bytes = sent.dropFirst(sentOffset).prefix(r.plaintextLength)
                        sentOffset += r.plaintextLength
                    } else {
                        bytes = received.dropFirst(receivedOffset).prefix(r.plaintextLength)
                        receivedOffset += r.plaintextLength
                    }
                    var fields: [(String, JSONValue)] = [("length", .integer(Int64(r.plaintextLength))),
                                                         ("wireLength", .integer(Int64(r.wireLength))),
                                                         ("streamOffset", .integer(Int64(r.streamOffset)))]
                    if let preview = preview(bytes) { fields.append(("preview", .string(preview))) }
                    result.append(TraceEntry(
                        t: t, lane: .app, direction: direction(r.direction), kind: "app.data",
                        title: "application data \(r.plaintextLength) B", epoch: r.epoch, bytes: r.wireLength, fields: fields))
                } else {
                    let inner = TLSRecordInfo.contentTypeName(r.innerContentType)
                    let protected = r.outerContentType != r.innerContentType
                    var fields: [(String, JSONValue)] = [
                        ("contentType", .string(TLSRecordInfo.contentTypeName(r.outerContentType))),
                        ("innerType", .string(inner)), ("length", .integer(Int64(r.plaintextLength))),
                        ("wireLength", .integer(Int64(r.wireLength))), ("epoch", .string(r.epoch.rawValue)),
                        ("streamOffset", .integer(Int64(r.streamOffset))),
                    ]
                    if r.keyGeneration > 0 { fields.append(("keyGeneration", .integer(Int64(r.keyGeneration)))) }
                    result.append(TraceEntry(
                        t: t, lane: .tls, direction: direction(r.direction), kind: "tls.record",
                        title: "record \(inner) \(r.plaintextLength) B" + (protected ? " (protected)" : ""),
                        epoch: r.epoch, bytes: r.wireLength, fields: fields))
                }
            case .handshakeMessage(let m):
                var fields: [(String, JSONValue)] = [("message", .string(m.name)), ("length", .integer(Int64(m.length)))]
                fields += m.fields.map { ($0.name, value($0.value)) }
                result.append(TraceEntry(
                    t: t, lane: .tls, direction: direction(m.direction), kind: "tls.handshake", title: m.name,
                    detail: messageDetail(m), epoch: m.epoch, bytes: m.length, fields: fields))
            case .secretDerived(let s):
                var fields: [(String, JSONValue)] = [("secret", .string(s.label)), ("name", .string(s.name))]
                if let epoch = s.epoch { fields.append(("epoch", .string(epoch.rawValue))) }
                if let protects = s.protects { fields.append(("protects", .string(protects == .sent ? "c2s" : "s2c"))) }
                if let value = s.value { fields.append(("value", .string(value))) }
                result.append(TraceEntry(t: t, lane: .tls, direction: .local, kind: "tls.keys",
                                         title: "secret \(s.label)", detail: s.name, epoch: s.epoch, fields: fields))
            case .cryptoOperation(let c):
                result.append(TraceEntry(
                    t: t, lane: .tls, direction: .local, kind: "tls.crypto",
                    title: "\(c.step) \(c.algorithm) \(format(milliseconds(c.duration))) ms",
                    fields: [("step", .string(c.step)), ("algorithm", .string(c.algorithm)),
                             ("ms", .number(milliseconds(c.duration)))]))
            case .alert(let d, let description, let fatal):
                result.append(TraceEntry(
                    t: t, lane: .tls, direction: direction(d), kind: "tls.alert", title: "alert \(description.name)",
                    fields: [("level", .string(fatal ? "fatal" : "warning")), ("description", .string(description.name)),
                             ("code", .integer(Int64(description.rawValue)))]))
            case .closeNotify(let d):
                result.append(TraceEntry(t: t, lane: .tls, direction: direction(d), kind: "tls.close_notify", title: "close_notify"))
            case .sessionTicket(let lifetime, let maxEarlyData, let length):
                result.append(TraceEntry(
                    t: t, lane: .tls, direction: .local, kind: "tls.ticket",
                    title: "session ticket: \(lifetime) s, \(length) B" + (maxEarlyData > 0 ? ", 0-RTT up to \(maxEarlyData) B" : ""),
                    fields: [("lifetime", .integer(Int64(lifetime))), ("maxEarlyData", .integer(Int64(maxEarlyData))),
                             ("ticketLength", .integer(Int64(length)))]))
            case .keyUpdate(let d, let requested):
                result.append(TraceEntry(
                    t: t, lane: .tls, direction: .local, kind: "tls.key_update",
                    title: "KeyUpdate \(d == .sent ? "sent" : "received")" + (requested ? " (update requested)" : ""),
                    fields: [("direction", .string(direction(d).rawValue)), ("updateRequested", .bool(requested))]))
            case .earlyData(let status, let reason):
                result.append(TraceEntry(
                    t: t, lane: .tls, direction: .local, kind: "tls.early_data", title: "early data \(status.rawValue)",
                    detail: "\(reason)", fields: [("status", .string(status.rawValue)), ("reason", .string("\(reason)"))]))
            case .note(let text):
                result.append(TraceEntry(t: t, lane: .tls, direction: .local, kind: "tls.note", title: text,
                                         fields: [("text", .string(text))]))
            }
        }
        annotateFlights(&result, initialWindowBytes: initialWindowBytes)
        return result
    }

    private static func tcpFields(_ info: TLSTCPInfo) -> [(String, JSONValue)] {
        [("state", .string(info.state)), ("local", .string(info.localAddress)), ("remote", .string(info.remoteAddress)),
         ("rttMs", .number(milliseconds(info.roundTripTime))), ("rttVarMs", .number(milliseconds(info.roundTripTimeVariance))),
         ("mss", .integer(Int64(info.sendMSS))), ("congestionWindow", .integer(Int64(info.congestionWindow))),
         ("retransmits", .integer(Int64(info.retransmits))), ("totalRetransmits", .integer(Int64(info.totalRetransmits)))]
    }

    /// A flight: the records one side sends before it waits for the other. Its last record gets the flight's byte
    /// total and whether it exceeds the initial congestion window (then the sender waits a round trip for ACKs
    /// before sending the rest).
    private static func annotateFlights(_ entries: inout [TraceEntry], initialWindowBytes: Int?) {
        var flightStart: Int?
        var flightDirection: TraceEntry.Direction?
        var flightBytes = 0
        var last: Int?
        func close() {
            guard let last else { return }
            entries[last].fields.append(("flightBytes", .integer(Int64(flightBytes))))
            if let window = initialWindowBytes {
                entries[last].fields.append(("exceedsInitialWindow", .bool(flightBytes > window)))
            }
        }
        for index in entries.indices where entries[index].kind == "tls.record" || entries[index].kind == "app.data" {
            let d = entries[index].direction
            if d != flightDirection {
                close()
                flightStart = index
                flightDirection = d
                flightBytes = 0
            }
            flightBytes += entries[index].bytes ?? 0
            last = index
        }
        close()
        _ = flightStart
    }

    /// The first bytes of application data as text, when they are printable (an HTTP request or status line).
    static func preview(_ bytes: ArraySlice<UInt8>) -> String? {
        let head = bytes.prefix(120)
        guard !head.isEmpty, head.allSatisfy({ $0 == 9 || $0 == 10 || $0 == 13 || (0x20..<0x7F).contains($0) }) else { return nil }
        return String(decoding: head, as: UTF8.self)
    }

    /// One line of essentials under a message.
    static func messageDetail(_ m: TLSHandshakeMessageInfo) -> String? {
        func get(_ name: String) -> TLSTraceValue? { m.fields.first { $0.name == name }?.value }
        func text(_ v: TLSTraceValue?) -> String? {
            switch v {
            case .string(let s)?: s
            case .integer(let i)?: String(i)
            case .bool(let b)?: b ? "yes" : "no"
            case .list(let items)?: items.compactMap { text($0) }.joined(separator: ", ")
            default: nil
            }
        }
        switch m.name {
        case "ClientHello":
            let shares: String
            if case .list(let items)? = get("keyShares") {
                shares = items.compactMap { item -> String? in
                    guard case .fields(let f) = item, case .string(let g)? = f.first(where: { $0.name == "group" })?.value else { return nil }
                    return g
                }.joined(separator: ", ")
            } else {
                shares = "none"
            }
            var parts = ["key shares: \(shares)"]
            if let name = text(get("serverName")) { parts.append("SNI \(name)") }
            if let alpn = text(get("alpn")) { parts.append("ALPN \(alpn)") }
            if get("pskIdentities") != nil { parts.append("offers a session (PSK)") }
            if get("earlyData") != nil { parts.append("0-RTT") }
            return parts.joined(separator: "; ")
        case "ServerHello":
            var parts = [text(get("cipherSuite")) ?? ""]
            if case .list(let items)? = get("keyShares"), case .fields(let f)? = items.first,
               case .string(let g)? = f.first(where: { $0.name == "group" })?.value { parts.append(g) }
            if get("selectedPSKIdentity") != nil { parts.append("PSK accepted (resumed)") }
            return parts.joined(separator: ", ")
        case "HelloRetryRequest":
            return text(get("hrrReason"))
        case "EncryptedExtensions":
            return [text(get("alpn")).map { "ALPN \($0)" }, text(get("recordSizeLimit")).map { "record_size_limit \($0)" },
                    get("earlyDataAccepted") != nil ? "0-RTT accepted" : nil].compactMap { $0 }.joined(separator: ", ")
        case "Certificate":
            guard case .list(let certs)? = get("certificates") else { return nil }
            let subjects = certs.compactMap { c -> String? in
                guard case .fields(let f) = c, case .string(let s)? = f.first(where: { $0.name == "subject" })?.value else { return nil }
                return s
            }
            return "\(certs.count) certificate\(certs.count == 1 ? "" : "s"): " + subjects.joined(separator: " ← ")
        case "CertificateVerify":
            return text(get("scheme"))
        case "NewSessionTicket":
            return "lifetime \(text(get("lifetime")) ?? "?") s"
        case "KeyUpdate":
            return get("updateRequested") == .bool(true) ? "update_requested" : "update_not_requested"
        default:
            return nil
        }
    }

    static func format(_ ms: Double) -> String {
        if ms < 10 {
            let hundredths = Int((ms * 100).rounded())
            let fraction = hundredths % 100
            return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
        }
        return "\(Int(ms.rounded()))"
    }
}
