import TLS13

/// `tls13 trace --format text`: the ladder, client on the left and server on the right, one line per TCP event and
/// TLS message with the time since the start, essentials indented below, the keys protecting each flight, then a
/// summary in curl's `-w` style.
struct TraceText {
    let document: TraceDocument
    /// ANSI colours (a terminal, and no `NO_COLOR`).
    let color: Bool

    /// The width of the arrow between the two sides.
    static let width = 58

    private func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    func render() -> String {
        var lines: [String] = []
        let name = document.serverName.map { $0 == document.host ? "" : " (\($0))" } ?? ""
        lines.append(paint("tls13 trace \(document.host):\(document.port)\(name)", "1"))
        lines.append(paint(pad("     ms", 9) + " client" + String(repeating: " ", count: Self.width - 12) + "server", "2"))
        for entry in document.entries where shows(entry) {
            lines.append(contentsOf: render(entry))
        }
        lines.append("")
        lines.append(contentsOf: summary())
        return lines.joined(separator: "\n") + "\n"
    }

    /// Handshake records are folded into their messages (each flight's total is on its last record, shown); every
    /// other event has a line.
    private func shows(_ entry: TraceEntry) -> Bool {
        guard entry.kind == "tls.record" else { return true }
        if case .string("handshake")? = entry.field("innerType") { return entry.field("flightBytes") != nil }
        return true
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    private func time(_ ms: Double) -> String { pad(TraceEntries.format(ms), 9) }

    private func render(_ e: TraceEntry) -> [String] {
        var lines: [String] = []
        let label = e.title
        let keys = e.epoch.map { " [\(epochName($0))]" } ?? ""
        switch e.direction {
        case .c2s, .s2c:
            var text = " \(label) "
            if let flight = e.field("flightBytes"), case .integer(let total) = flight {
                text = " \(label), flight \(total) B "
            }
            let room = max(4, Self.width - text.count - 2)
            let arrow = e.direction == .c2s
                ? "─" + text + String(repeating: "─", count: room) + "▶"
                : "◀" + String(repeating: "─", count: room) + text + "─"
            let colour = e.lane == .tcp ? "35" : e.lane == .app ? "34" : e.kind == "tls.alert" ? "31" : (e.direction == .c2s ? "32" : "36")
            lines.append(time(e.t) + " " + paint(arrow, colour) + paint(keys, "2"))
        case .local:
            let colour = e.kind == "tls.keys" ? "33" : e.kind.hasPrefix("tcp") || e.kind == "dns" ? "35" : "2"
            lines.append(time(e.t) + " " + paint("• " + label, colour) + (e.kind == "tls.keys" ? "" : paint(keys, "2")))
        }
        for line in essentials(e) { lines.append(String(repeating: " ", count: 12) + paint(line, "2")) }
        return lines
    }

    private func epochName(_ epoch: TLSEpoch) -> String {
        switch epoch {
        case .plaintext: "plaintext"
        case .early: "early keys"
        case .handshake: "handshake keys"
        case .application: "application keys"
        }
    }

    /// The decoded essentials below a line.
    private func essentials(_ e: TraceEntry) -> [String] {
        var out: [String] = []
        if let detail = e.detail, !detail.isEmpty, e.kind != "tls.keys" { out.append(detail) }
        switch e.kind {
        case "tls.handshake":
            if case .array(let suites)? = e.field("cipherSuites") { out.append("suites: " + list(suites)) }
            if case .array(let groups)? = e.field("groups") { out.append("groups: " + list(groups)) }
            if case .array(let exts)? = e.field("extensions"), !exts.isEmpty {
                let names = exts.compactMap { ext -> String? in
                    guard case .string(let name)? = ext["name"] else { return nil }
                    return name
                }
                out.append("\(exts.count) extensions: " + names.joined(separator: ", "))
            }
            if case .array(let certs)? = e.field("certificates") {
                for cert in certs {
                    let subject = cert["subject"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? "?"
                    let key = cert["keyType"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? ""
                    let until = cert["notAfter"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? ""
                    out.append("\(subject) (\(key), until \(until))")
                }
            }
        case "tls.record":
            if case .bool(true)? = e.field("exceedsInitialWindow") {
                out.append("this flight is larger than an initial congestion window of 10 segments: it costs a round trip")
            }
        case "app.data":
            if case .string(let preview)? = e.field("preview") {
                let first = preview.split(whereSeparator: \.isNewline).first.map(String.init) ?? preview
                out.append("\"\(first)\"")
            }
        case "tls.keys":
            if case .string(let value)? = e.field("value") { out.append(value) }
        default:
            break
        }
        return out
    }

    private func list(_ values: [JSONValue]) -> String {
        values.compactMap { if case .string(let s) = $0 { s } else { nil } }.joined(separator: ", ")
    }

    private func summary() -> [String] {
        func ms(_ value: Double?) -> String { value.map { "\(TraceEntries.format($0)) ms" } ?? "—" }
        var lines = [
            "dns: \(ms(document.dnsMs))   tcp connect: \(ms(document.tcpConnectMs))   tls handshake: \(ms(document.tlsHandshakeMs))"
                + "   first byte: \(ms(document.firstByteMs))   total: \(ms(document.totalMs))",
        ]
        if let info = document.info {
            lines.append("\(info.protocolVersion), \(info.cipherSuite), \(info.group?.displayName ?? "no key exchange"), "
                + "\(info.signatureScheme.map { "\($0)" } ?? "no signature (resumed)")"
                + (info.resumed ? ", resumed" : "") + (info.usedHelloRetryRequest ? ", after a HelloRetryRequest" : ""))
            lines.append("ECH: \(info.ech); certificate compression: \(SessionSummary.compression(info))")
        }
        lines.append("sent \(document.bytesSent) B, received \(document.bytesReceived) B; capture: \(document.capture.status)"
            + (document.capture.detail.map { " (\($0))" } ?? ""))
        if !document.ok {
            lines.append(paint("failed: \(document.error ?? "")", "31"))
        }
        return lines
    }
}
