/// `tls13 trace --format html`: one self-contained HTML file showing a trace (Docs/Trace.md, "The HTML view").
///
/// The page has a header (target, outcome, timings, what was negotiated, whether packets were captured), an SVG
/// sequence diagram (client on the left, server on the right; an app, a TLS and a TCP lifeline on each side; time
/// running downwards on a log-compressed axis; one `class="event"` element per event) and a panel with each
/// event's decoded fields. The trace's JSON is embedded in `<script type="application/json" id="trace">`.
///
/// Self-contained: no external asset, no network. A Content-Security-Policy (`default-src 'none'`) enforces it
/// in the browser, and only the page's own script (by its SHA-256) may run. Every string from the trace is
/// HTML-escaped (``escape(_:)``). Works without the script too: the arrows are links to `#ev-N`, and `:target`
/// shows that event's panel. The script adds selection by click, focus (Tab) and `j`/`k`; it marks the body
/// `data-ready` when done.
///
/// Swift standard library only (the CLI is moving off Foundation).
enum TraceHTML {
    // MARK: - Entry point

    /// The whole HTML document for `trace` (a `tls13 trace --format json` value). Never fails: any JSON value
    /// renders, missing or malformed members are shown as missing.
    static func render(_ trace: JSONValue) -> String {
        let events = parseEvents(trace["events"])
        let layout = Layout(events: events)
        var out = ""
        out.reserveCapacity(16_384 + events.count * 2_048)
        out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        out += "script-src '\(scriptHash)'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        if let tool = str(trace["tool"]) { out += "<meta name=\"generator\" content=\"\(escape(tool))\">\n" }
        out += "<title>tls13 trace · \(escape(targetLabel(trace)))</title>\n"
        out += "<style>\n\(css)</style>\n</head>\n<body>\n"
        renderHeader(trace, events: events, into: &out)
        out += "<main class=\"layout\">\n<section class=\"diagram\" aria-label=\"Sequence diagram\">\n"
        renderLegend(into: &out)
        renderSVG(events, layout: layout, into: &out)
        out += "</section>\n"
        renderPanel(events, into: &out)
        out += "</main>\n"
        renderFooter(trace, into: &out)
        out += "<script type=\"application/json\" id=\"trace\">"
        out += trace.text()
        out += "</script>\n<script>"
        out += script
        out += "</script>\n</body>\n</html>\n"
        return out
    }

    // MARK: - Escaping and formatting

    /// `s` safe as HTML text or as a double- or single-quoted attribute value: `&`, `<`, `>`, `"` and `'` become
    /// character references; NUL, which HTML parsers drop or replace, becomes U+FFFD.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `s` with control characters spelled out (`\r`, `\n`, `\t`, `\u{1b}`), for one-line labels.
    static func visible(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            if let spelled = spelledControl(scalar) { out += spelled } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    private static func spelledControl(_ scalar: Unicode.Scalar) -> String? {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default:
            let v = scalar.value
            if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || v == 0x2028 || v == 0x2029 {
                return "\\u{" + String(v, radix: 16) + "}"
            }
            return nil
        }
    }

    /// Escaped text with control characters shown dimmed as escapes (`GET / HTTP/1.0\r\n`).
    static func escapeShowingControls(_ s: String) -> String {
        var out = ""
        var plain = ""
        for scalar in s.unicodeScalars {
            if let spelled = spelledControl(scalar) {
                out += escape(plain)
                plain = ""
                out += "<span class=\"ctl\">\(spelled)</span>"
            } else {
                plain.unicodeScalars.append(scalar)
            }
        }
        return out + escape(plain)
    }

    /// At most `limit` characters of `s` (one line, controls spelled out), with "…" when cut.
    static func truncated(_ s: String, _ limit: Int) -> String {
        let line = visible(s)
        guard line.count > limit else { return line }
        return String(line.prefix(max(limit - 1, 0))) + "…"
    }

    /// `x` with exactly `decimals` decimals (0…6), rounded half away from zero; non-finite values print as "—".
    static func fixed(_ x: Double, _ decimals: Int) -> String {
        guard x.isFinite else { return "—" }
        let d = min(max(decimals, 0), 6)
        var scale = 1.0
        for _ in 0..<d { scale *= 10 }
        let scaled = (x.magnitude * scale).rounded()
        guard scaled < 9e15 else { return String(x) }
        let whole = UInt64(scaled)
        let sign = x < 0 && whole != 0 ? "-" : ""
        var divisor: UInt64 = 1
        for _ in 0..<d { divisor *= 10 }
        let integer = String(whole / divisor)
        guard d > 0 else { return sign + integer }
        var fraction = String(whole % divisor)
        while fraction.count < d { fraction = "0" + fraction }
        return sign + integer + "." + fraction
    }

    /// An event's time in milliseconds beside its arrow: four or five significant digits, to the microsecond below
    /// 10 ms (`0.040`, `35.20`, `812.4`, `5001`).
    static func timeLabel(_ ms: Double) -> String {
        let m = ms.magnitude
        return fixed(ms, m < 10 ? 3 : m < 100 ? 2 : m < 1000 ? 1 : 0)
    }

    /// A duration in milliseconds, three significant digits or so: `0.79 ms`, `35.2 ms`, `812 ms`, `4.97 s`.
    static func duration(_ ms: Double) -> String {
        guard ms.isFinite else { return "—" }
        let m = ms.magnitude
        if m < 10 { return fixed(ms, 2) + " ms" }
        if m < 100 { return fixed(ms, 1) + " ms" }
        if m < 1000 { return fixed(ms, 0) + " ms" }
        if m < 100_000 { return fixed(ms / 1000, 2) + " s" }
        return fixed(ms / 1000, 0) + " s"
    }

    /// log2(x) for x > 0, without Foundation: the binary exponent plus ln(significand) / ln 2, the logarithm from
    /// its atanh series (the significand is in [1, 2), so the series converges fast). 0 for x ≤ 0 or non-finite x.
    static func log2(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return 0 }
        let m = x.significand
        let z = (m - 1) / (m + 1)
        let z2 = z * z
        var term = z
        var sum = 0.0
        var k = 1.0
        for _ in 0..<14 {
            sum += term / k
            term *= z2
            k += 2
        }
        return Double(x.exponent) + 2 * sum / 0.693_147_180_559_945_3
    }

    /// Coordinates in the SVG: one decimal, no trailing ".0".
    private static func num(_ x: Double) -> String {
        let s = fixed(x, 1)
        return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
    }

    // MARK: - Reading the trace

    private static func str(_ v: JSONValue?) -> String? {
        if case .string(let s)? = v { return s }
        return nil
    }

    private static func double(_ v: JSONValue?) -> Double? {
        switch v {
        case .integer(let i)?: return Double(i)
        case .number(let d)?: return d.isFinite ? d : nil
        default: return nil
        }
    }

    private static func bool(_ v: JSONValue?) -> Bool? {
        if case .bool(let b)? = v { return b }
        return nil
    }

    /// A scalar as text (strings as they are, numbers as JSON writes them); nil for null, arrays and objects.
    private static func scalarText(_ v: JSONValue?) -> String? {
        switch v {
        case .string(let s)?: return s
        case .integer(let i)?: return String(i)
        case .number(let d)?: return JSONValue.format(d)
        case .bool(let b)?: return b ? "yes" : "no"
        default: return nil
        }
    }

    enum Lane: String { case tcp, tls, app }
    enum Direction: String { case c2s, s2c, local }

    /// One event as the diagram needs it; unknown or missing members get harmless defaults.
    struct Event {
        var index: Int
        var seq: String
        var t: Double
        var lane: Lane
        var direction: Direction
        var kind: String
        var title: String
        var detail: String?
        var epoch: String?
        var bytes: String?
        var fields: JSONValue?

        /// The epoch that colours it: its own, or for `tls.keys` the keys it installs.
        var colourEpoch: String? {
            if let epoch { return epoch }
            return kind == "tls.keys" ? TraceHTML.str(fields?["epoch"]) : nil
        }
    }

    static func parseEvents(_ value: JSONValue?) -> [Event] {
        guard case .array(let items)? = value else { return [] }
        var events: [Event] = []
        events.reserveCapacity(items.count)
        var lastT = 0.0
        for (index, item) in items.enumerated() {
            var t = double(item["t"]) ?? lastT
            if t < 0 { t = 0 }
            lastT = t
            let seq: String
            switch item["seq"] {
            case .integer(let i)?: seq = String(i)
            case .number(let d)?: seq = JSONValue.format(d)
            default: seq = String(index)
            }
            let bytes: String?
            switch item["bytes"] {
            case .integer(let i)?: bytes = String(i)
            case .number(let d)?: bytes = JSONValue.format(d)
            default: bytes = nil
            }
            events.append(Event(
                index: index, seq: seq, t: t,
                lane: str(item["lane"]).flatMap(Lane.init(rawValue:)) ?? .tls,
                direction: str(item["direction"]).flatMap(Direction.init(rawValue:)) ?? .local,
                kind: str(item["kind"]) ?? "",
                title: str(item["title"]) ?? str(item["kind"]) ?? "event",
                detail: str(item["detail"]).flatMap { $0.isEmpty ? nil : $0 },
                epoch: str(item["epoch"]),
                bytes: bytes,
                fields: item["fields"]))
        }
        return events
    }

    private static func targetLabel(_ trace: JSONValue) -> String {
        let target = trace["target"]
        let host = str(target?["host"]) ?? "?"
        if let port = scalarText(target?["port"]) {
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
        return host
    }

    // MARK: - Time axis and geometry

    /// Where each event sits. The vertical position follows the real time `t`, log-compressed: the space between
    /// two events is `perDoubling · log2(1 + gap / unit)` pixels (at most `maxGap`), `unit` being the median gap
    /// between events, so a flight's back-to-back messages stay together, round trips show as space, and an idle
    /// minute costs no more than `maxGap`. Gaps of `labelGap` pixels or more get their duration printed; capped
    /// ones are drawn as a break.
    struct Layout {
        static let width = 860.0
        static let timeX = 72.0
        static let top = 66.0
        static let perDoubling = 11.0
        static let maxGap = 96.0
        static let labelGap = 24.0
        static let slope = 10.0
        /// From a row's top: the label's baseline, and the upper end of its arrow.
        static let labelBaseline = 15.0
        static let arrowTop = 20.0

        struct Row {
            var top: Double
            var height: Double
            /// The y of the event's instant: the client end of an arrow, the mark of a local event.
            var y: Double
        }
        struct Gap {
            var top: Double
            var height: Double
            var ms: Double
            var compressed: Bool
        }

        var rows: [Row] = []
        var gaps: [Gap] = []
        var height: Double
        var unit: Double

        init(events: [Event]) {
            var deltas: [Double] = []
            var previous = 0.0
            for e in events {
                let d = e.t - previous
                if d > 0 { deltas.append(d) }
                previous = max(previous, e.t)
            }
            deltas.sort()
            unit = deltas.isEmpty ? 1 : max(deltas[deltas.count / 2], 0.001)
            var cursor = Self.top
            previous = 0
            for e in events {
                let gap = max(0, e.t - previous)
                previous = max(previous, e.t)
                let raw = gap > 0 ? Self.perDoubling * TraceHTML.log2(1 + gap / unit) : 0
                let extra = min(raw, Self.maxGap)
                if extra >= Self.labelGap {
                    gaps.append(Gap(top: cursor, height: extra, ms: gap, compressed: raw > Self.maxGap))
                }
                cursor += extra
                let hasDetail = e.detail != nil
                let height: Double
                let y: Double
                if e.kind == "tls.keys" {
                    height = 32 + (hasDetail ? 12 : 0)
                    y = cursor + 17
                } else if e.direction == .local {
                    height = 26 + (hasDetail ? 13 : 0)
                    y = cursor + 14
                } else {
                    height = 38 + (hasDetail ? 13 : 0)
                    y = e.direction == .c2s ? cursor + Self.arrowTop : cursor + Self.arrowTop + Self.slope
                }
                rows.append(Row(top: cursor, height: height, y: y))
                cursor += height
            }
            height = cursor + (events.isEmpty ? 60 : 24)
        }

        /// x of a lifeline.
        static func x(_ lane: Lane, server: Bool) -> Double {
            switch (lane, server) {
            case (.app, false): return 118
            case (.tls, false): return 158
            case (.tcp, false): return 198
            case (.tcp, true): return 662
            case (.tls, true): return 702
            case (.app, true): return 742
            }
        }
    }

    // MARK: - Header

    private static func renderHeader(_ trace: JSONValue, events: [Event], into out: inout String) {
        let target = trace["target"]
        let summary = trace["summary"]
        let outcome = trace["outcome"]
        out += "<header class=\"top\">\n<div class=\"brand\">tls13 trace</div>\n"
        out += "<h1>\(escape(targetLabel(trace)))"
        if let name = str(target?["serverName"]), name != str(target?["host"]) {
            out += " <span class=\"sni\">name \(escape(name))</span>"
        }
        out += "</h1>\n<p class=\"sub\">"
        var bits: [String] = []
        if let address = str(target?["address"]) { bits.append("connected to <b>\(escape(address))</b>") }
        if let local = str(target?["localAddress"]) { bits.append("from \(escape(local))") }
        if let started = str(trace["startedAt"]) { bits.append("started \(escape(started))") }
        bits.append("\(events.count) event\(events.count == 1 ? "" : "s")")
        out += bits.joined(separator: " · ") + "</p>\n"

        if str(trace["format"]) != "swift-tls13-trace" || trace["version"] != .integer(1) {
            out += "<p class=\"note warn\">This does not look like a version 1 swift-tls13 trace; "
                + "it is shown as far as it could be read.</p>\n"
        }

        // Outcome.
        let ok = bool(outcome?["ok"])
        if ok == true {
            var parts: [String] = []
            for key in ["protocol", "cipher", "group"] {
                if let v = str(summary?[key]) { parts.append(escape(v)) }
            }
            if bool(summary?["resumed"]) == true { parts.append("resumed") }
            out += "<div class=\"outcome ok\"><span class=\"badge\">Connected</span> \(parts.joined(separator: " · "))</div>\n"
        } else {
            out += "<div class=\"outcome fail\" role=\"alert\">\n<div><span class=\"badge\">"
            out += ok == false ? "Failed" : "Outcome unknown"
            out += "</span>"
            if let error = str(outcome?["error"]) { out += " <code class=\"err\">\(escapeShowingControls(error))</code>" }
            out += "</div>\n"
            if let why = str(outcome?["explanation"]) { out += "<p class=\"why\">\(escapeShowingControls(why))</p>\n" }
            var facts: [String] = []
            if let alert = str(outcome?["alert"]) { facts.append("alert <code>\(escape(alert))</code>") }
            if let status = scalarText(outcome?["exitStatus"]) { facts.append("exit status \(escape(status))") }
            if !facts.isEmpty { out += "<p class=\"facts\">\(facts.joined(separator: " · "))</p>\n" }
            out += "</div>\n"
        }

        // Timings, cumulative since the start as curl's -w prints them, and each phase's own length.
        let steps: [(String, String)] = [
            ("dnsMs", "DNS"), ("tcpConnectMs", "TCP connect"), ("tlsHandshakeMs", "TLS handshake"),
            ("firstByteMs", "First byte"), ("totalMs", "Total"),
        ]
        out += "<div class=\"timings\">\n"
        var previous = 0.0
        var phases: [(String, Double, Double)] = []
        for (key, label) in steps {
            let value = double(summary?[key])
            out += "<div class=\"card\"><div class=\"k\">\(label)</div><div class=\"v\">"
            if let value {
                out += escape(duration(value))
                out += "</div><div class=\"d\">"
                out += key == "totalMs" ? "since the start" : "+" + escape(duration(max(0, value - previous)))
                phases.append((label, previous, value))
                previous = max(previous, value)
            } else {
                out += "—</div><div class=\"d\">not reached"
            }
            out += "</div></div>\n"
        }
        out += "</div>\n"
        let total = double(summary?["totalMs"]) ?? previous
        if total > 0 {
            out += "<div class=\"waterfall\" aria-hidden=\"true\">"
            for (i, phase) in phases.enumerated() where phase.0 != "Total" {
                let width = max(0, min(phase.2, total) - min(phase.1, total)) / total * 100
                out += "<span class=\"ph ph\(i)\" style=\"width:\(fixed(width, 2))%\" title=\"\(escape(phase.0))\"></span>"
            }
            out += "</div>\n"
        }

        // What was negotiated.
        let negotiated: [(String, String)] = [
            ("protocol", "Protocol"), ("cipher", "Cipher suite"), ("group", "Key exchange"),
            ("signature", "Signature"), ("alpn", "ALPN"), ("resumed", "Resumed"), ("earlyData", "Early data"),
            ("helloRetryRequest", "HelloRetryRequest"), ("certificateVerified", "Certificate verified"),
            ("ech", "ECH"), ("certificateCompression", "Certificate compression"),
            ("bytesSent", "Bytes sent"), ("bytesReceived", "Bytes received"),
        ]
        var rows = ""
        for (key, label) in negotiated {
            guard let value = summary?[key] else { continue }
            let text = scalarText(value) ?? "—"
            rows += "<div><dt>\(label)</dt><dd>\(escape(text))</dd></div>"
        }
        if !rows.isEmpty { out += "<dl class=\"negotiated\">\(rows)</dl>\n" }

        // Capture and secrets.
        let capture = trace["capture"]
        let status = str(capture?["status"])
        let detail = str(capture?["detail"])
        switch status {
        case "packets"?:
            var text = "Packets captured"
            if let interface = str(capture?["interface"]) { text += " on " + escape(interface) }
            if let file = str(capture?["pcapFile"]) { text += "; written to <code>\(escape(file))</code>" }
            out += "<p class=\"note\">\(text).</p>\n"
        case "not-requested"?:
            out += "<p class=\"note\">Packets were not captured (not requested: <code>--packets</code>); the TCP "
                + "events come from the kernel's <code>TCP_INFO</code>.\(detail.map { " " + escape($0) } ?? "")</p>\n"
        case "not-permitted"?:
            out += "<p class=\"note warn\">Packets were not captured: not permitted"
                + "\(detail.map { " (" + escape($0) + ")" } ?? ""). The TCP events come from the kernel's "
                + "<code>TCP_INFO</code>.</p>\n"
        case "failed"?:
            out += "<p class=\"note warn\">Packet capture failed\(detail.map { ": " + escape($0) } ?? "").</p>\n"
        default:
            out += "<p class=\"note\">Packets were not captured\(status.map { " (" + escape($0) + ")" } ?? "").</p>\n"
        }
        if bool(trace["secretsIncluded"]) == true {
            out += "<p class=\"note warn\">This trace includes traffic secrets (<code>--show-secrets</code>): anyone "
                + "with it and a capture of the connection can decrypt it.</p>\n"
        }
        out += "</header>\n"
    }

    private static func renderLegend(into out: inout String) {
        func line(_ cls: String, _ label: String, dash: Bool = false, width: Double = 2) -> String {
            "<span class=\"lg\"><svg width=\"30\" height=\"10\" aria-hidden=\"true\"><line class=\"\(cls)\" x1=\"1\" y1=\"5\" "
                + "x2=\"29\" y2=\"5\" stroke-width=\"\(num(width))\"\(dash ? " stroke-dasharray=\"5 3\"" : "")/></svg>\(label)</span>"
        }
        out += "<div class=\"legend\">"
        out += line("sw-tcp", "TCP", width: 1.5)
        out += line("sw-plaintext", "plaintext")
        out += line("sw-early", "early-data keys")
        out += line("sw-handshake", "handshake keys")
        out += line("sw-application", "application keys")
        out += line("sw-application", "app data", width: 4)
        out += line("sw-alert", "alert")
        out += "<span class=\"lg\"><svg width=\"14\" height=\"14\" aria-hidden=\"true\">"
            + "<circle cx=\"7\" cy=\"7\" r=\"4\" class=\"sw-dot\"/></svg>at the client</span>"
        out += "<span class=\"lg\"><svg width=\"16\" height=\"16\" aria-hidden=\"true\">"
            + lockIcon(x: 8, y: 9, cls: "sw-lock") + "</svg>new keys</span>"
        out += "<span class=\"lg axis-note\">time runs down; long gaps are compressed, their length printed</span>"
        out += "</div>\n"
    }

    // MARK: - The diagram

    private static func lockIcon(x: Double, y: Double, cls: String) -> String {
        "<g class=\"\(cls)\"><path class=\"shackle\" d=\"M\(num(x - 3.5)) \(num(y - 1)) v-3 a3.5 3.5 0 0 1 7 0 v3\"/>"
            + "<rect x=\"\(num(x - 5.5))\" y=\"\(num(y - 1.5))\" width=\"11\" height=\"8.5\" rx=\"1.5\"/></g>"
    }

    private static func epochClass(_ epoch: String?) -> String {
        switch epoch {
        case "plaintext"?: return "ep-plaintext"
        case "early"?: return "ep-early"
        case "handshake"?: return "ep-handshake"
        case "application"?: return "ep-application"
        default: return "ep-none"
        }
    }

    private static func kindClass(_ e: Event) -> String {
        switch e.kind {
        case "tls.alert": return "k-alert"
        case "tls.close_notify": return "k-close"
        case "tls.keys": return "k-keys"
        case "tls.handshake": return "k-msg"
        case "tcp.segment":
            if case .array(let flags)? = e.fields?["flags"], flags.contains(.string("RST")) { return "k-alert" }
            if case .array(let flags)? = e.fields?["flags"], flags.contains(.string("FIN")) { return "k-fin" }
            return "k-seg"
        default: return "k-other"
        }
    }

    private static func directionWords(_ d: Direction) -> String {
        switch d {
        case .c2s: return "client → server"
        case .s2c: return "server → client"
        case .local: return "at the client"
        }
    }

    private static func renderSVG(_ events: [Event], layout: Layout, into out: inout String) {
        let w = Layout.width
        let h = layout.height
        out += "<svg class=\"seq\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(num(w))\" height=\"\(num(h))\" "
        out += "viewBox=\"0 0 \(num(w)) \(num(h))\" role=\"group\" aria-label=\"Client and server, time downwards\">\n"
        // Parties and lifelines.
        out += "<g class=\"parties\" aria-hidden=\"true\">"
        out += "<rect class=\"party\" x=\"96\" y=\"6\" width=\"124\" height=\"26\" rx=\"6\"/>"
        out += "<text class=\"party-name\" x=\"158\" y=\"24\" text-anchor=\"middle\">Client</text>"
        out += "<rect class=\"party\" x=\"640\" y=\"6\" width=\"124\" height=\"26\" rx=\"6\"/>"
        out += "<text class=\"party-name\" x=\"702\" y=\"24\" text-anchor=\"middle\">Server</text>"
        out += "<text class=\"axis\" x=\"\(num(Layout.timeX))\" y=\"50\" text-anchor=\"end\">t (ms)</text>"
        for server in [false, true] {
            for lane in [Lane.app, .tls, .tcp] {
                let x = num(Layout.x(lane, server: server))
                let label = lane == .app ? "app" : lane.rawValue.uppercased()
                out += "<text class=\"lane-name ln-\(lane.rawValue)\" x=\"\(x)\" y=\"50\" text-anchor=\"middle\">\(label)</text>"
                out += "<line class=\"life ln-\(lane.rawValue)\" x1=\"\(x)\" y1=\"56\" x2=\"\(x)\" y2=\"\(num(h - 8))\"/>"
            }
        }
        out += "</g>\n"
        if events.isEmpty {
            out += "<text class=\"empty\" x=\"430\" y=\"\(num(Layout.top + 24))\" text-anchor=\"middle\">"
                + "No events were recorded.</text>\n"
        }
        // Gaps in time: the duration, and a break where the axis was compressed.
        for gap in layout.gaps {
            let mid = gap.top + gap.height / 2
            out += "<g class=\"gap\" aria-hidden=\"true\">"
            if gap.compressed {
                out += "<rect class=\"break\" x=\"86\" y=\"\(num(mid - 7))\" width=\"\(num(w - 94))\" height=\"14\"/>"
                out += "<text class=\"break-label\" x=\"430\" y=\"\(num(mid + 4))\" text-anchor=\"middle\">"
                    + "\(escape(duration(gap.ms))) later · axis compressed</text>"
            }
            out += "<line class=\"gap-line\" x1=\"\(num(Layout.timeX - 10))\" y1=\"\(num(gap.top + 3))\" "
                + "x2=\"\(num(Layout.timeX - 10))\" y2=\"\(num(gap.top + gap.height - 3))\"/>"
            out += "<text class=\"gap-label\" x=\"\(num(Layout.timeX - 14))\" y=\"\(num(mid + 4))\" text-anchor=\"end\">"
                + "+\(escape(duration(gap.ms)))</text></g>\n"
        }
        for (i, e) in events.enumerated() where i < layout.rows.count {
            renderEvent(e, row: layout.rows[i], into: &out)
        }
        out += "</svg>\n"
    }

    private static func renderEvent(_ e: Event, row: Layout.Row, into out: inout String) {
        let time = timeLabel(e.t)
        var tooltip = e.title
        if let detail = e.detail { tooltip += "\n" + detail }
        tooltip += "\n" + directionWords(e.direction) + " · " + time + " ms"
        if let epoch = e.colourEpoch { tooltip += " · " + epoch + (e.kind == "tls.keys" ? " keys" : "") }
        if let bytes = e.bytes { tooltip += " · " + bytes + " B" }
        let classes = "event lane-\(e.lane.rawValue) \(epochClass(e.colourEpoch)) dir-\(e.direction.rawValue) \(kindClass(e))"
        out += "<a class=\"\(classes)\" id=\"e-\(e.index)\" href=\"#ev-\(e.index)\" data-index=\"\(e.index)\" "
        out += "data-seq=\"\(escape(e.seq))\" data-kind=\"\(escape(e.kind))\">"
        out += "<title>\(escape(visibleMultiline(tooltip)))</title>"
        out += "<rect class=\"hit\" x=\"80\" y=\"\(num(row.top + 1))\" width=\"\(num(Layout.width - 86))\" "
        out += "height=\"\(num(row.height - 2))\" rx=\"5\"/>"
        out += "<text class=\"t\" x=\"\(num(Layout.timeX))\" y=\"\(num(row.y + 4))\" text-anchor=\"end\">\(time)</text>"
        let sizeNote: String
        if let bytes = e.bytes, !e.title.hasSuffix(" B") { sizeNote = "<tspan class=\"sz\"> · \(escape(bytes)) B</tspan>" } else { sizeNote = "" }

        if e.kind == "tls.keys" {
            let x = Layout.x(e.lane == .tcp ? .tls : e.lane, server: false)
            out += "<rect class=\"band\" x=\"86\" y=\"\(num(row.top + 3))\" width=\"\(num(Layout.width - 94))\" "
            out += "height=\"\(num(row.height - 6))\" rx=\"5\"/>"
            out += lockIcon(x: x, y: row.y - 1, cls: "lock")
            var note = ""
            if let epoch = str(e.fields?["epoch"]) ?? e.epoch { note += epoch + " keys" }
            if let protects = str(e.fields?["protects"]) {
                note += (note.isEmpty ? "" : ", ") + (protects == "c2s" ? "client → server" : protects == "s2c" ? "server → client" : protects)
            }
            out += "<text class=\"lb keys-lb\" x=\"212\" y=\"\(num(row.y + 4))\">\(escape(truncated(e.title, 56)))"
            if !note.isEmpty { out += "<tspan class=\"sz\"> · \(escape(truncated(note, 40)))</tspan>" }
            out += "</text>"
            if let detail = e.detail {
                out += "<text class=\"dt\" x=\"212\" y=\"\(num(row.y + 17))\">\(escape(truncated(detail, 90)))</text>"
            }
        } else if e.direction == .local {
            let x = Layout.x(e.lane, server: false)
            out += "<line class=\"tick\" x1=\"\(num(x))\" y1=\"\(num(row.y))\" x2=\"206\" y2=\"\(num(row.y))\"/>"
            out += "<circle class=\"dot\" cx=\"\(num(x))\" cy=\"\(num(row.y))\" r=\"4.5\"/>"
            out += "<text class=\"lb local-lb\" x=\"212\" y=\"\(num(row.y + 4))\">\(escape(truncated(e.title, 64)))\(sizeNote)</text>"
            if let detail = e.detail {
                out += "<text class=\"dt\" x=\"212\" y=\"\(num(row.y + 17))\">\(escape(truncated(detail, 90)))</text>"
            }
        } else {
            let server = e.direction == .s2c
            let xc = Layout.x(e.lane, server: false)
            let xs = Layout.x(e.lane, server: true)
            let upper = row.top + Layout.arrowTop
            let lower = upper + Layout.slope
            // c2s: from the client (upper) down to the server; s2c: from the server (upper) down to the client.
            let (x1, y1, x2, y2) = server ? (xs, upper, xc, lower) : (xc, upper, xs, lower)
            let dx = x2 - x1, dy = y2 - y1
            let length = (dx * dx + dy * dy).squareRoot()
            let ux = dx / length, uy = dy / length
            let headLength = e.lane == .app ? 12.0 : 10.0
            let headHalf = e.lane == .app ? 6.0 : 4.5
            let bx = x2 - ux * headLength, by = y2 - uy * headLength
            out += "<path class=\"ln\" d=\"M\(num(x1)) \(num(y1)) L\(num(x2 - ux * (headLength - 2))) \(num(y2 - uy * (headLength - 2)))\"/>"
            out += "<path class=\"hd\" d=\"M\(num(x2)) \(num(y2)) L\(num(bx - uy * headHalf)) \(num(by + ux * headHalf)) "
            out += "L\(num(bx + uy * headHalf)) \(num(by - ux * headHalf))Z\"/>"
            out += "<circle class=\"end\" cx=\"\(num(x1))\" cy=\"\(num(y1))\" r=\"2.5\"/>"
            out += "<text class=\"lb\" x=\"430\" y=\"\(num(row.top + Layout.labelBaseline))\" text-anchor=\"middle\">"
            out += "\(escape(truncated(e.title, 56)))\(sizeNote)</text>"
            if let detail = e.detail {
                out += "<text class=\"dt\" x=\"430\" y=\"\(num(lower + 13))\" text-anchor=\"middle\">"
                out += "\(escape(truncated(detail, 80)))</text>"
            }
        }
        out += "</a>\n"
    }

    /// Like ``visible(_:)`` but keeps line breaks (for tooltips).
    private static func visibleMultiline(_ s: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false).map { visible(String($0)) }.joined(separator: "\n")
    }

    // MARK: - The panel

    private static func renderPanel(_ events: [Event], into out: inout String) {
        out += "<aside id=\"panel\" class=\"panel\" aria-label=\"Event details\" aria-live=\"polite\">\n"
        out += "<p id=\"hint\" class=\"hint\">"
        out += events.isEmpty ? "No events." : "Select an arrow or mark (click it, or Tab to it) to see its decoded fields; <kbd>j</kbd> / <kbd>k</kbd> step through the events."
        out += "</p>\n"
        for e in events { renderDetail(e, count: events.count, into: &out) }
        out += "</aside>\n"
    }

    private static func renderDetail(_ e: Event, count: Int, into out: inout String) {
        out += "<section class=\"detail lane-\(e.lane.rawValue) \(epochClass(e.colourEpoch))\" id=\"ev-\(e.index)\" "
        out += "data-index=\"\(e.index)\" hidden>\n"
        out += "<p class=\"kicker\"><span class=\"chip lane-chip\">\(e.lane.rawValue.uppercased())</span>"
        if let epoch = e.colourEpoch { out += " <span class=\"chip epoch-chip\">\(escape(epoch))</span>" }
        out += " <span class=\"kind\">\(escape(e.kind))</span> <span class=\"seqno\">#\(escape(e.seq))</span></p>\n"
        let glyph: String
        switch e.direction {
        case .c2s: glyph = "→"
        case .s2c: glyph = "←"
        case .local: glyph = "•"
        }
        out += "<h2><span class=\"dir\" aria-hidden=\"true\">\(glyph)</span> \(escapeShowingControls(e.title))</h2>\n"
        if let detail = e.detail { out += "<p class=\"detail-line\">\(escapeShowingControls(detail))</p>\n" }
        out += "<dl class=\"facts\">"
        out += "<div><dt>time</dt><dd>\(escape(fixed(e.t, 3))) ms</dd></div>"
        out += "<div><dt>direction</dt><dd>\(directionWords(e.direction))</dd></div>"
        out += "<div><dt>epoch</dt><dd>\(e.epoch.map(escape) ?? "—")</dd></div>"
        out += "<div><dt>bytes</dt><dd>\(e.bytes.map(escape) ?? "—")</dd></div>"
        out += "</dl>\n"
        if let fields = e.fields {
            out += "<h3>Fields</h3>\n"
            renderValue(fields, key: nil, kind: e.kind, count: count, depth: 0, into: &out)
            out += "\n"
        } else {
            out += "<p class=\"dim\">No decoded fields.</p>\n"
        }
        out += "</section>\n"
    }

    private static let greaseBadge = "<span class=\"grease\">GREASE</span>"

    /// A value named as GREASE (`0x0a0a (GREASE)`); objects say so with `"grease": true`.
    private static func isGreaseString(_ s: String) -> Bool { s.hasSuffix("(GREASE)") }

    private static func isScalar(_ v: JSONValue) -> Bool {
        switch v {
        case .array, .object: return false
        default: return true
        }
    }

    /// A field value as readable HTML: objects as key/value lists, arrays of flat objects as tables, short lists of
    /// scalars inline; GREASE marked; control characters shown; all text escaped.
    private static func renderValue(_ value: JSONValue, key: String?, kind: String, count: Int, depth: Int,
                                    into out: inout String)
    {
        if depth >= 24 {
            out += "<code class=\"deep\">\(escape(truncated(value.text(), 200)))</code>"
            return
        }
        switch value {
        case .null:
            out += "<span class=\"dim\">null</span>"
        case .bool(let b):
            if key == "grease" {
                out += b ? greaseBadge : "<span class=\"v-bool\">false</span>"
            } else {
                out += "<span class=\"v-bool v-\(b)\">\(b)</span>"
            }
        case .integer(let i):
            out += "<span class=\"v-num\">\(i)</span>"
            if key == "type" || key == "code", (0...0xFFFF).contains(i) {
                let hex = String(i, radix: 16)
                out += " <span class=\"dim\">0x\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex)</span>"
            }
        case .number(let d):
            out += "<span class=\"v-num\">\(JSONValue.format(d))</span>"
        case .string(let s):
            if s.isEmpty {
                out += "<span class=\"dim\">(empty)</span>"
            } else if s.count >= 32, s.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit }) {
                out += "<code class=\"hex\">\(escape(s))</code>"
            } else {
                out += "<span class=\"v-str\">\(escapeShowingControls(s))</span>"
                if isGreaseString(s) { out += " " + greaseBadge }
            }
        case .array(let items):
            if items.isEmpty {
                out += "<span class=\"dim\">none</span>"
                return
            }
            if key == "records", kind == "tcp.segment", items.allSatisfy({ if case .integer = $0 { return true } else { return false } }) {
                var links: [String] = []
                for item in items {
                    guard case .integer(let n) = item else { continue }
                    if n >= 0, n < count {
                        links.append("<a href=\"#ev-\(n)\" data-goto=\"\(n)\">#\(n)</a>")
                    } else {
                        links.append("#\(n)")
                    }
                }
                out += links.joined(separator: ", ")
                return
            }
            if items.allSatisfy(isScalar) {
                let textLength = items.reduce(0) { $0 + (scalarText($1)?.count ?? 4) + 2 }
                if items.count <= 8, textLength <= 48 {
                    out += "<span class=\"inline\">"
                    for (i, item) in items.enumerated() {
                        if i > 0 { out += ", " }
                        renderValue(item, key: nil, kind: kind, count: count, depth: depth + 1, into: &out)
                    }
                    out += "</span>"
                } else {
                    out += "<ol class=\"list\">"
                    for item in items {
                        out += "<li>"
                        renderValue(item, key: nil, kind: kind, count: count, depth: depth + 1, into: &out)
                        out += "</li>"
                    }
                    out += "</ol>"
                }
                return
            }
            // Flat objects (every member a scalar): a table, one column per member name.
            var columns: [String] = []
            var flat = true
            for item in items {
                guard case .object(let members) = item, members.allSatisfy({ isScalar($0.1) }) else { flat = false; break }
                for (name, _) in members where !columns.contains(name) { columns.append(name) }
                if columns.count > 8 { flat = false; break }
            }
            if flat, !columns.isEmpty {
                out += "<table class=\"tbl\"><thead><tr>"
                for column in columns { out += "<th>\(escape(column))</th>" }
                out += "</tr></thead><tbody>"
                for item in items {
                    let grease = bool(item["grease"]) == true
                        || columns.contains { str(item[$0]).map(isGreaseString) ?? false }
                    out += grease ? "<tr class=\"is-grease\">" : "<tr>"
                    for column in columns {
                        out += "<td>"
                        if let v = item[column] {
                            renderValue(v, key: column, kind: kind, count: count, depth: depth + 1, into: &out)
                        }
                        out += "</td>"
                    }
                    out += "</tr>"
                }
                out += "</tbody></table>"
                return
            }
            out += "<ol class=\"list\">"
            for item in items {
                let grease = bool(item["grease"]) == true
                out += grease ? "<li class=\"is-grease\">" : "<li>"
                renderValue(item, key: nil, kind: kind, count: count, depth: depth + 1, into: &out)
                out += "</li>"
            }
            out += "</ol>"
        case .object(let members):
            if members.isEmpty {
                out += "<span class=\"dim\">{}</span>"
                return
            }
            out += "<dl class=\"kv\">"
            for (name, v) in members {
                out += "<dt>\(escapeShowingControls(name))</dt><dd>"
                renderValue(v, key: name, kind: kind, count: count, depth: depth + 1, into: &out)
                out += "</dd>"
            }
            out += "</dl>"
        }
    }

    private static func renderFooter(_ trace: JSONValue, into out: inout String) {
        out += "<footer>"
        if let tool = str(trace["tool"]) { out += escape(tool) + " · " }
        out += "format \(escape(str(trace["format"]) ?? "?")) version \(escape(scalarText(trace["version"]) ?? "?")) · "
        out += "the trace's JSON is embedded in this file (<code>script#trace</code>); Docs/Trace.md describes it."
        out += "</footer>\n"
    }
}
