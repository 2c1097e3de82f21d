import Crypto
import Foundation
import Testing

@testable import TLS13CLI

// `tls13 trace --format html` (TraceHTML): the page as text (escaping, self-containment, one `class="event"` per
// event, the time axis) and as a real browser shows it (headless Chromium's DOM after the page's script ran, and the
// screenshot in Docs/). Docs/Trace.md, "The HTML view".

// MARK: - Fixtures

fileprivate enum TraceFixtures {
    static func sampleText() throws -> String {
        String(decoding: try VectorPaths.load("trace/sample.json"), as: UTF8.self)
    }

    static func sample() throws -> JSONValue { try JSONValue(parsing: sampleText()) }

    static func events(of trace: JSONValue) -> [JSONValue] {
        if case .array(let items)? = trace["events"] { return items }
        return []
    }

    /// `trace` with member `key` set to `value` (appended when absent).
    static func setting(_ trace: JSONValue, _ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = trace else { return trace }
        if let i = members.firstIndex(where: { $0.0 == key }) { members[i].1 = value } else { members.append((key, value)) }
        return .object(members)
    }

    static func event(seq: Int, t: Double, lane: String = "tls", direction: String = "c2s", kind: String = "tls.record",
                      title: String, epoch: String? = nil, bytes: Int? = nil, detail: String? = nil,
                      fields: JSONValue? = nil) -> JSONValue
    {
        var members: [(String, JSONValue)] = [
            ("seq", .integer(Int64(seq))), ("t", .number(t)), ("lane", .string(lane)),
            ("direction", .string(direction)), ("kind", .string(kind)), ("title", .string(title)),
        ]
        if let detail { members.append(("detail", .string(detail))) }
        if let epoch { members.append(("epoch", .string(epoch))) }
        if let bytes { members.append(("bytes", .integer(Int64(bytes)))) }
        if let fields { members.append(("fields", fields)) }
        return .object(members)
    }

    /// The sample with `events` replaced.
    static func sample(events: [JSONValue]) throws -> JSONValue { setting(try sample(), "events", .array(events)) }

    /// 2,000 events of every lane and direction, with a long idle gap in the middle.
    static func large() throws -> JSONValue {
        let lanes = [("tcp", "tcp.segment"), ("tls", "tls.record"), ("app", "app.data"), ("tls", "tls.keys")]
        let directions = ["c2s", "s2c", "local"]
        var events: [JSONValue] = []
        var t = 0.0
        for i in 0..<2000 {
            t += i == 1000 ? 45_000 : Double(i % 7) * 0.013
            let (lane, kind) = lanes[i % lanes.count]
            events.append(event(seq: i, t: t, lane: lane, direction: kind == "tls.keys" ? "local" : directions[i % 3],
                                kind: kind, title: "event \(i)", epoch: i % 5 == 0 ? "application" : "handshake",
                                bytes: i, detail: i % 4 == 0 ? "detail \(i)" : nil,
                                fields: .object([("length", .integer(Int64(i)))])))
        }
        return try sample(events: events)
    }

    /// Hostile strings everywhere a string can go.
    static let payload = "</script><img src=x onerror=alert(1)>"
    static let quotePayload = "\"'><svg onload=alert(2)>&amp;"

    static func hostile() throws -> JSONValue {
        var trace = try sample()
        let p = JSONValue.string(payload)
        trace = setting(trace, "tool", .string(quotePayload))
        trace = setting(trace, "target", .object([
            ("host", p), ("port", .integer(443)), ("serverName", .string(quotePayload)), ("address", p),
            ("localAddress", .string("https://evil.example/x.png")),
        ]))
        trace = setting(trace, "outcome", .object([
            ("ok", .bool(false)), ("error", p), ("explanation", .string(quotePayload)), ("alert", p),
            ("exitStatus", .integer(1)),
        ]))
        trace = setting(trace, "capture", .object([("status", .string("not-permitted")), ("detail", p)]))
        var events = self.events(of: trace)
        events[7] = event(seq: 7, t: 0.5, kind: "tls.handshake", title: payload, epoch: "plaintext", bytes: 1,
                          detail: quotePayload, fields: .object([
                              (payload, p), ("url", .string("http://evil.example/")),
                              ("nested", .array([.object([(quotePayload, p), ("grease", .bool(true))])])),
                          ]))
        events[10] = event(seq: 10, t: 1.35, direction: "local", kind: "tls.keys", title: payload, epoch: quotePayload,
                           fields: .object([("epoch", p), ("protects", p)]))
        events[18] = event(seq: 18, t: 2.9, lane: "app", direction: "s2c", kind: "app.data", title: quotePayload,
                           epoch: "application", fields: .object([("preview", .string("a\r\n\u{0}\u{1b}[31m" + payload))]))
        return setting(trace, "events", .array(events))
    }
}

/// Start tags of an HTML text (or of Chromium's serialized DOM): enough of the HTML tokenizer to count elements and
/// read attributes. Comments and doctypes are skipped; `script` and `style` content is raw text (kept, not scanned).
struct HTMLTag {
    var name: String
    var attributes: [(String, String)]
    /// For `script` and `style`: their text.
    var rawText: String?

    func attribute(_ name: String) -> String? { attributes.first { $0.0 == name }?.1 }
    var classes: [String] { (attribute("class") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init) }

    static func scan(_ html: String) -> [HTMLTag] {
        let b = Array(html.utf8)
        var tags: [HTMLTag] = []
        var i = 0
        func lower(_ c: UInt8) -> UInt8 { (c >= 65 && c <= 90) ? c + 32 : c }
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D }
        func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        func find(_ needle: String, from start: Int, caseless: Bool = false) -> Int? {
            let n = Array(needle.utf8)
            guard n.count <= b.count else { return nil }
            var j = start
            while j + n.count <= b.count {
                var k = 0
                while k < n.count, (caseless ? lower(b[j + k]) : b[j + k]) == n[k] { k += 1 }
                if k == n.count { return j }
                j += 1
            }
            return nil
        }
        func text(_ from: Int, _ to: Int) -> String { String(decoding: b[from..<to], as: UTF8.self) }
        while i < b.count {
            guard b[i] == UInt8(ascii: "<"), i + 1 < b.count else { i += 1; continue }
            let next = b[i + 1]
            if next == UInt8(ascii: "!") {
                if let end = text(i, min(i + 4, b.count)) == "<!--" ? find("-->", from: i + 4).map({ $0 + 3 })
                    : find(">", from: i).map({ $0 + 1 }) { i = end } else { break }
                continue
            }
            if next == UInt8(ascii: "/") || next == UInt8(ascii: "?") {
                if let end = find(">", from: i) { i = end + 1 } else { break }
                continue
            }
            guard isLetter(next) else { i += 1; continue }
            var j = i + 1
            while j < b.count, !isSpace(b[j]), b[j] != UInt8(ascii: ">"), b[j] != UInt8(ascii: "/") { j += 1 }
            let name = text(i + 1, j).lowercased()
            var attributes: [(String, String)] = []
            while j < b.count {
                while j < b.count, isSpace(b[j]) || b[j] == UInt8(ascii: "/") { j += 1 }
                guard j < b.count, b[j] != UInt8(ascii: ">") else { break }
                let start = j
                while j < b.count, !isSpace(b[j]), b[j] != UInt8(ascii: "="), b[j] != UInt8(ascii: ">"), b[j] != UInt8(ascii: "/") { j += 1 }
                let attributeName = text(start, j).lowercased()
                while j < b.count, isSpace(b[j]) { j += 1 }
                var value = ""
                if j < b.count, b[j] == UInt8(ascii: "=") {
                    j += 1
                    while j < b.count, isSpace(b[j]) { j += 1 }
                    if j < b.count, b[j] == UInt8(ascii: "\"") || b[j] == UInt8(ascii: "'") {
                        let quote = b[j]
                        let valueStart = j + 1
                        j = valueStart
                        while j < b.count, b[j] != quote { j += 1 }
                        value = text(valueStart, j)
                        j += 1
                    } else {
                        let valueStart = j
                        while j < b.count, !isSpace(b[j]), b[j] != UInt8(ascii: ">") { j += 1 }
                        value = text(valueStart, j)
                    }
                }
                attributes.append((attributeName, decodeEntities(value)))
            }
            var tag = HTMLTag(name: name, attributes: attributes, rawText: nil)
            i = j + 1
            if name == "script" || name == "style" {
                let end = find("</\(name)", from: i, caseless: true) ?? b.count
                tag.rawText = text(min(i, end), end)
                i = end
            }
            tags.append(tag)
        }
        return tags
    }

    static func decodeEntities(_ s: String) -> String {
        s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

extension [HTMLTag] {
    /// The elements whose class list has `event` (the diagram's events).
    var events: [HTMLTag] { filter { $0.classes.contains("event") } }
    func withID(_ id: String) -> HTMLTag? { first { $0.attribute("id") == id } }
}

/// The content of event `index`'s panel: from its `<section class="detail …" … data-index="N"` start tag to its
/// `</section>` (panels hold no nested sections). By `data-index`, as the panels' `ev-N` ids are the script's to
/// remove.
fileprivate func panelText(_ html: String, index: Int) -> String? {
    var rest = html[...]
    while let start = rest.range(of: "<section class=\"detail ") {
        guard let tagEnd = rest.range(of: ">", range: start.upperBound..<rest.endIndex),
              let end = rest.range(of: "</section>", range: tagEnd.upperBound..<rest.endIndex) else { return nil }
        if rest[start.lowerBound..<tagEnd.upperBound].contains("data-index=\"\(index)\"") {
            return String(rest[tagEnd.upperBound..<end.lowerBound])
        }
        rest = rest[end.upperBound...]
    }
    return nil
}

// MARK: - The page as text

@Suite struct TraceHTMLTests {
    @Test func sampleRenders() throws {
        let trace = try TraceFixtures.sample()
        let events = TraceFixtures.events(of: trace)
        #expect(events.count == 24)
        let html = TraceHTML.render(trace)
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.hasSuffix("</html>\n"))
        let tags = HTMLTag.scan(html)
        #expect(tags.filter { $0.name == "svg" && $0.classes.contains("seq") }.count == 1)
        // One element with class "event" per event, in order, each a link to its panel.
        let eventTags = tags.events
        #expect(eventTags.count == events.count)
        #expect(eventTags.map { $0.attribute("data-seq") ?? "" } == (0..<24).map(String.init))
        #expect(eventTags.map { $0.attribute("href") ?? "" } == (0..<24).map { "#ev-\($0)" })
        #expect(eventTags.allSatisfy { $0.name == "a" })
        let panels = tags.filter { $0.classes.contains("detail") && $0.name == "section" }
        #expect(panels.map { $0.attribute("id") ?? "" } == (0..<24).map { "ev-\($0)" })
        #expect(panels.allSatisfy { $0.attribute("hidden") != nil })
        // Header: target, outcome, timings, negotiation, capture.
        #expect(html.contains("<h1>127.0.0.1:4433 <span class=\"sni\">name localhost</span></h1>"))
        #expect(html.contains("<span class=\"badge\">Connected</span> TLSv1.3 · TLS_AES_128_GCM_SHA256 · X25519"))
        for (label, value) in [("DNS", "0.02 ms"), ("TCP connect", "0.21 ms"), ("TLS handshake", "2.10 ms"),
                               ("First byte", "2.90 ms"), ("Total", "3.60 ms")] {
            #expect(html.contains("<div class=\"k\">\(label)</div><div class=\"v\">\(value)</div>"), "\(label)")
        }
        #expect(html.contains("<dt>Signature</dt><dd>ecdsa_secp256r1_sha256</dd>"))
        #expect(html.contains("Packets captured on lo."))
        #expect(!html.contains("class=\"outcome fail\""))
        // Each event's time beside it, and its fields in its panel.
        #expect(html.contains(">1.300</text>"))
        let clientHello = try #require(panelText(html, index: 7))
        #expect(clientHello.contains("ClientHello"))
        #expect(clientHello.contains("<td><span class=\"v-str\">X25519MLKEM768</span></td><td><span class=\"v-num\">1216</span></td>"))
        #expect(clientHello.contains("<dt>bytes</dt><dd>1616</dd>"))
        let app = try #require(panelText(html, index: 17))
        #expect(app.contains("GET / HTTP/1.0<span class=\"ctl\">\\r</span><span class=\"ctl\">\\n</span>"))
        // Key changes are bands with a lock.
        let keys = try #require(tags.withID("e-10"))
        #expect(keys.classes.contains("k-keys") && keys.classes.contains("ep-handshake"))
        #expect(html.contains("server → client"))
    }

    @Test func embedsTheTraceJSON() throws {
        let trace = try TraceFixtures.hostile()
        let html = TraceHTML.render(trace)
        let scripts = HTMLTag.scan(html).filter { $0.name == "script" }
        #expect(scripts.count == 2)
        let json = try #require(scripts.first { $0.attribute("id") == "trace" })
        #expect(json.attribute("type") == "application/json")
        #expect(json.rawText == trace.text())
        // Parsed back it is the same trace (its text compared: a number written without a fraction reads back as
        // an integer).
        #expect(try JSONValue(parsing: json.rawText ?? "").text() == trace.text())
        #expect(scripts.last?.attributes.isEmpty == true)
        #expect(scripts.last?.rawText == TraceHTML.script)
    }

    @Test func escapeFunction() {
        #expect(TraceHTML.escape("<a href=\"x\" title='y'>&amp;</a>") ==
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;")
        #expect(TraceHTML.escape("plain text, ünïcode → ok") == "plain text, ünïcode → ok")
        #expect(TraceHTML.escape("nul\u{0}") == "nul\u{FFFD}")
        #expect(TraceHTML.escape("") == "")
        #expect(TraceHTML.visible("a\r\n\t\u{1b}b\u{2028}") == "a\\r\\n\\t\\u{1b}b\\u{2028}")
        #expect(TraceHTML.escapeShowingControls("<\n>") == "&lt;<span class=\"ctl\">\\n</span>&gt;")
        #expect(TraceHTML.truncated("abcdef", 4) == "abc…")
        #expect(TraceHTML.truncated("abcd", 4) == "abcd")
        #expect(TraceHTML.fixed(1.2345, 3) == "1.235" || TraceHTML.fixed(1.2345, 3) == "1.234")
        #expect(TraceHTML.fixed(0.5, 0) == "1")
        #expect(TraceHTML.fixed(-0.0001, 2) == "0.00")
        #expect(TraceHTML.fixed(-2.5, 1) == "-2.5")
        #expect(TraceHTML.fixed(.nan, 2) == "—")
        #expect(TraceHTML.duration(0.79) == "0.79 ms")
        #expect(TraceHTML.duration(35.24) == "35.2 ms")
        #expect(TraceHTML.duration(812.4) == "812 ms")
        #expect(TraceHTML.duration(4970) == "4.97 s")
        #expect(["0.040", "35.20", "812.4", "5001"] == [0.04, 35.2, 812.44, 5001.4].map(TraceHTML.timeLabel))
    }

    /// `</script><img src=x onerror=alert(1)>` and quotes in every string: they appear only escaped, the page keeps
    /// its two scripts and gains no element or attribute.
    @Test func hostileStringsAreEscaped() throws {
        let trace = try TraceFixtures.hostile()
        let html = TraceHTML.render(trace)
        #expect(!html.contains(TraceFixtures.payload))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<svg onload"))
        #expect(html.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("&quot;&#39;&gt;&lt;svg onload=alert(2)&gt;&amp;amp;"))
        #expect(html.components(separatedBy: "</script>").count - 1 == 2)
        let tags = HTMLTag.scan(html)
        #expect(!tags.contains { $0.name == "img" })
        #expect(tags.filter { $0.name == "svg" }.count == 1 + 9)  // the diagram and the legend's nine swatches
        for tag in tags {
            for (name, _) in tag.attributes {
                #expect(!name.hasPrefix("on"), "event handler attribute \(name) on <\(tag.name)>")
                #expect(name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == ":" }, "attribute \(name)")
            }
        }
        #expect(tags.events.count == 24)
        // The failure is shown, escaped.
        let outcome = try #require(tags.first { $0.classes.contains("outcome") })
        #expect(outcome.classes.contains("fail") && outcome.attribute("role") == "alert")
        // Controls in strings are shown, not passed through.
        #expect(!html.contains("\u{1b}"))
        #expect(html.contains("<span class=\"ctl\">\\u{1b}</span>"))
    }

    /// Nothing the browser would fetch: no URL in any attribute (the SVG namespace aside), no `url(`, `@import` or
    /// font in the style sheet; a policy that forbids loading anything; and in the sample no `http://` or
    /// `https://` outside the embedded JSON at all.
    @Test func noExternalReferences() throws {
        let sampleHTML = TraceHTML.render(try TraceFixtures.sample())
        let tags = HTMLTag.scan(sampleHTML)
        var outsideJSON = sampleHTML
        let json = try #require(tags.first { $0.attribute("id") == "trace" }?.rawText)
        outsideJSON = outsideJSON.replacingOccurrences(of: json, with: "")
        for scheme in ["http://", "https://"] {
            var rest = outsideJSON[...]
            while let r = rest.range(of: scheme) {
                #expect(rest[r.lowerBound...].hasPrefix("http://www.w3.org/2000/svg\""),
                        "\(rest[r.lowerBound...].prefix(60))")
                rest = rest[r.upperBound...]
            }
        }
        let policy = try #require(tags.first { $0.attribute("http-equiv") == "Content-Security-Policy" }?.attribute("content"))
        #expect(policy.hasPrefix("default-src 'none'; "))
        #expect(policy.contains("script-src '\(TraceHTML.scriptHash)';"))
        let directives = policy.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(directives.filter { $0.hasPrefix("script-src") } == ["script-src '\(TraceHTML.scriptHash)'"])

        for html in [sampleHTML, TraceHTML.render(try TraceFixtures.hostile())] {
            let tags = HTMLTag.scan(html)
            for tag in tags {
                for (name, value) in tag.attributes {
                    #expect(!["src", "srcset", "action", "formaction", "poster", "background", "data", "xlink:href",
                              "ping", "manifest", "codebase", "cite"].contains(name), "<\(tag.name) \(name)>")
                    if name == "href" { #expect(value.hasPrefix("#"), "href=\(value)") }
                    if name == "style" { #expect(!value.contains("url(")) }
                    if value.contains("://") {
                        #expect(name == "xmlns" && value == "http://www.w3.org/2000/svg" || name == "content",
                                "<\(tag.name) \(name)=\(value)>")
                    }
                }
                if tag.name == "style" {
                    let css = tag.rawText ?? ""
                    #expect(!css.contains("url(") && !css.contains("@import") && !css.contains("@font-face"))
                }
            }
            #expect(!tags.contains { ["link", "img", "iframe", "object", "embed", "image", "use", "base", "form",
                                      "video", "audio", "source", "foreignobject"].contains($0.name) })
        }
    }

    @Test func scriptHashIsTheScriptsSHA256() {
        let digest = SHA256.hash(data: Data(TraceHTML.script.utf8))
        let expected = "sha256-" + Data(digest).base64EncodedString()
        #expect(TraceHTML.scriptHash == expected, "set TraceHTML.scriptHash to \(expected)")
    }

    @Test(arguments: [0, 1, 24, 2000])
    func oneEventElementPerEvent(count: Int) throws {
        let trace: JSONValue
        switch count {
        case 24: trace = try TraceFixtures.sample()
        case 2000: trace = try TraceFixtures.large()
        default: trace = try TraceFixtures.sample(events: Array(TraceFixtures.events(of: TraceFixtures.sample()).prefix(count)))
        }
        #expect(TraceFixtures.events(of: trace).count == count)
        let html = TraceHTML.render(trace)
        let tags = HTMLTag.scan(html)
        #expect(tags.events.count == count)
        #expect(tags.filter { $0.name == "section" && $0.classes.contains("detail") }.count == count)
        #expect(Set(tags.compactMap { $0.attribute("id") }).count == tags.compactMap { $0.attribute("id") }.count,
                "ids are unique")
        if count == 0 { #expect(html.contains("No events were recorded.")) }
        if count == 2000 {
            #expect(html.contains("axis compressed"))
            #expect(html.utf8.count < 8_000_000)
        }
    }

    @Test func failedHandshakeIsProminent() throws {
        var trace = try TraceFixtures.sample(events: Array(TraceFixtures.events(of: TraceFixtures.sample()).prefix(9)) + [
            TraceFixtures.event(seq: 9, t: 1.2, direction: "s2c", kind: "tls.alert", title: "alert protocol_version",
                                epoch: "plaintext", bytes: 7,
                                fields: .object([("level", .string("fatal")), ("description", .string("protocol_version")),
                                                 ("code", .integer(70))])),
        ])
        trace = TraceFixtures.setting(trace, "outcome", .object([
            ("ok", .bool(false)), ("error", .string("tls13: peer sent fatal alert protocol_version (70)")),
            ("explanation", .string("The server does not offer TLS 1.3, and this client speaks only TLS 1.3.")),
            ("alert", .string("protocol_version")), ("exitStatus", .integer(1)),
        ]))
        trace = TraceFixtures.setting(trace, "summary", .object([
            ("dnsMs", .number(0.02)), ("tcpConnectMs", .number(0.2)), ("tlsHandshakeMs", .null),
            ("firstByteMs", .null), ("totalMs", .number(1.3)), ("protocol", .null),
        ]))
        let html = TraceHTML.render(trace)
        let tags = HTMLTag.scan(html)
        let outcome = try #require(tags.first { $0.classes.contains("outcome") })
        #expect(outcome.classes.contains("fail") && outcome.attribute("role") == "alert")
        #expect(html.contains("<span class=\"badge\">Failed</span> <code class=\"err\">tls13: peer sent fatal alert protocol_version (70)</code>"))
        #expect(html.contains("<p class=\"why\">The server does not offer TLS 1.3, and this client speaks only TLS 1.3.</p>"))
        #expect(html.contains("alert <code>protocol_version</code> · exit status 1"))
        #expect(html.contains("<div class=\"k\">TLS handshake</div><div class=\"v\">—</div><div class=\"d\">not reached"))
        #expect(!html.contains(">Connected<"))
        let alert = try #require(tags.withID("e-9"))
        #expect(alert.classes.contains("k-alert"))
        #expect(tags.events.count == 10)
        #expect(html.contains("<dt>code</dt><dd><span class=\"v-num\">70</span> <span class=\"dim\">0x0046</span></dd>"))
    }

    /// Anything parses into a page: no target, no summary, no outcome, not even an object; events missing
    /// their optional members or with odd values.
    @Test func missingAndOddMembers() throws {
        for trace in [JSONValue.null, .array([]), .object([]), .string("x"),
                      .object([("events", .array([.object([])]))]),
                      .object([("events", .array([.null, .integer(3), .object([("t", .number(-5)), ("lane", .string("bogus")),
                                                                                 ("direction", .integer(1)), ("seq", .string("x"))])]))])]
        {
            let html = TraceHTML.render(trace)
            #expect(html.hasSuffix("</html>\n"))
            #expect(html.contains("does not look like a version 1 swift-tls13 trace"))
            #expect(HTMLTag.scan(html).events.count == TraceFixtures.events(of: trace).count)
        }
        let bare = try TraceFixtures.sample(events: [
            .object([("seq", .integer(0)), ("t", .number(0.1)), ("lane", .string("tcp")), ("direction", .string("local")),
                     ("kind", .string("tcp.info")), ("title", .string("state"))]),
        ])
        let html = TraceHTML.render(bare)
        let panel = try #require(panelText(html, index: 0))
        #expect(panel.contains("No decoded fields."))
        #expect(panel.contains("<dt>epoch</dt><dd>—</dd>"))
        #expect(panel.contains("<dt>bytes</dt><dd>—</dd>"))
        #expect(!html.contains("does not look like"))
    }

    @Test func longStringsAreCutInTheDiagramOnly() throws {
        let long = String(repeating: "Ab<", count: 4000)
        let trace = try TraceFixtures.sample(events: [
            TraceFixtures.event(seq: 0, t: 0, title: long, detail: long, fields: .object([("value", .string(long))])),
        ])
        let html = TraceHTML.render(trace)
        let label = String(repeating: "Ab&lt;", count: 18) + "A…</text>"
        #expect(html.contains(">" + label))
        let panel = try #require(panelText(html, index: 0))
        #expect(panel.contains(String(repeating: "Ab&lt;", count: 4000)))
    }

    @Test func greaseIsMarked() throws {
        let trace = try TraceFixtures.sample(events: [
            TraceFixtures.event(seq: 0, t: 0, kind: "tls.handshake", title: "ClientHello", epoch: "plaintext", fields: .object([
                ("extensions", .array([
                    .object([("type", .integer(0x1A1A)), ("name", .string("GREASE")), ("grease", .bool(true)), ("length", .integer(0))]),
                    .object([("type", .integer(0)), ("name", .string("server_name")), ("grease", .bool(false)), ("length", .integer(14))]),
                ])),
                ("cipherSuites", .array([.string("0x0a0a (GREASE)"), .string("TLS_AES_128_GCM_SHA256")])),
            ])),
        ])
        let panel = try #require(panelText(TraceHTML.render(trace), index: 0))
        #expect(panel.contains("<tr class=\"is-grease\"><td><span class=\"v-num\">6682</span> <span class=\"dim\">0x1a1a</span></td>"))
        #expect(panel.contains("<td><span class=\"grease\">GREASE</span></td>"))
        #expect(panel.contains("<tr><td><span class=\"v-num\">0</span> <span class=\"dim\">0x0000</span></td>"))
        #expect(panel.contains("<span class=\"v-str\">0x0a0a (GREASE)</span> <span class=\"grease\">GREASE</span>"))
        #expect(panel.components(separatedBy: "class=\"grease\"").count - 1 == 2)
    }

    /// The axis follows time, compressed: order kept, back-to-back events adjacent, round trips spaced by their
    /// (log) length, an idle minute no taller than the cap and drawn as a break with its duration.
    @Test func timeAxis() throws {
        let times = [0, 0, 0.01, 0.02, 0.03, 0.8, 0.81, 60_000.81, 60_000.9]
        let events = times.enumerated().map { i, t in
            TraceHTML.Event(index: i, seq: String(i), t: t, lane: .tls, direction: i % 2 == 0 ? .c2s : .s2c,
                            kind: "tls.record", title: "r", detail: nil, epoch: nil, bytes: nil, fields: nil)
        }
        let layout = TraceHTML.Layout(events: events)
        #expect(layout.rows.count == times.count)
        for i in 1..<layout.rows.count {
            let gap = layout.rows[i].top - (layout.rows[i - 1].top + layout.rows[i - 1].height)
            #expect(gap >= 0)
            #expect(layout.rows[i].y > layout.rows[i - 1].y)
        }
        func gapBefore(_ i: Int) -> Double { layout.rows[i].top - (layout.rows[i - 1].top + layout.rows[i - 1].height) }
        #expect(gapBefore(1) == 0)
        #expect(gapBefore(2) < 15)
        #expect(gapBefore(5) > 24)  // the round trip
        #expect(gapBefore(5) > gapBefore(3) * 3)
        #expect(gapBefore(7) == TraceHTML.Layout.maxGap)
        let compressed = layout.gaps.filter(\.compressed)
        #expect(compressed.count == 1)
        #expect(compressed.first.map { abs($0.ms - 60_000) < 1e-6 } == true)
        #expect(layout.gaps.contains { !$0.compressed && abs($0.ms - 0.77) < 1e-9 })
        let html = TraceHTML.render(try TraceFixtures.sample(events: events.map {
            TraceFixtures.event(seq: $0.index, t: $0.t, direction: $0.direction.rawValue, title: "r")
        }))
        #expect(html.contains("+60.00 s"))
        #expect(html.contains("60.00 s later · axis compressed"))
    }
}

// MARK: - JSON parsing

@Suite struct JSONParserTests {
    @Test func sampleRoundTrips() throws {
        let trace = try TraceFixtures.sample()
        #expect(trace["version"] == .integer(1))
        #expect(trace["summary"]?["dnsMs"] == .number(0.02))
        #expect(trace["target"]?["port"] == .integer(4433))
        // Written and read back: the same text (`0.0` is written `0` and reads back as an integer, so compare texts).
        #expect(try JSONValue(parsing: trace.text()).text() == trace.text())
        #expect(try JSONValue(parsing: trace.text(pretty: true)).text() == trace.text())
        #expect(try JSONValue(parsing: trace.text()) == JSONValue(parsing: trace.text()))
        let events = TraceFixtures.events(of: trace)
        #expect(events[17]["fields"]?["preview"] == .string("GET / HTTP/1.0\r\n\r\n"))
    }

    @Test func values() throws {
        #expect(try JSONValue(parsing: " [1, -0, 2.5, -1e3, 9223372036854775807, 9223372036854775808, true, false, null] ") ==
            .array([.integer(1), .integer(0), .number(2.5), .number(-1000), .integer(.max), .number(9223372036854775808),
                    .bool(true), .bool(false), .null]))
        #expect(try JSONValue(parsing: #""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x""#) ==
            .string("a\"\\/\u{8}\u{c}\n\r\té😀\u{FFFD}x"))
        #expect(try JSONValue(parsing: #"{"b":1,"a":{"c":[]},"b":2}"#) ==
            .object([("b", .integer(1)), ("a", .object([("c", .array([]))])), ("b", .integer(2))]))
        #expect(try JSONValue(parsing: "\"</script>\"").text() == #""\u003c/script\u003e""#)
    }

    @Test(arguments: ["", " ", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "1e", "-", "tru", "\"\u{1}\"", "\"abc", "[1 2]",
                      "{a:1}", "{\"a\" 1}", "\"\\x\"", "\"\\u12\"", "1 2", "[", "1e999", "NaN", "// c\n1"])
    func rejects(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func depthIsBounded() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: deep) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        let value = try JSONValue(parsing: fine)
        // Deeply nested fields render as a cut JSON excerpt, not as 500 nested lists.
        let html = TraceHTML.render(try TraceFixtures.sample(events: [
            TraceFixtures.event(seq: 0, t: 0, title: "deep", fields: .object([("x", value)])),
        ]))
        #expect(html.contains("<code class=\"deep\">"))
    }
}

// MARK: - In a real browser

/// Headless Chromium (Debian's `chromium`; `CHROMIUM` names another binary) on a file of ours, offline: names
/// resolve nowhere, a proxy on a closed port takes anything else, the profile and HOME are a temporary directory
/// removed afterwards. Blocking: call inside ``runBlocking(_:)``. Killed by PID after `timeout` seconds.
enum HeadlessChromium {
    static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["CHROMIUM"] { return path }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for dir in path + ["/usr/bin"] {
            for name in ["chromium", "chromium-browser"] {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        throw VectorError(description: "no chromium on PATH: install Debian's chromium (Scripts/install-deps.sh does)")
    }

    struct Run { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ arguments: [String], timeout: Double = 90) throws -> Run {
        let fm = FileManager.default
        let scratch = fm.temporaryDirectory.appendingPathComponent("tls13-chromium-\(UUID().uuidString)")
        try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: scratch) }
        let profile = scratch.appendingPathComponent("profile")
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = fm.createFile(atPath: outURL.path, contents: nil)
        _ = fm.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-default-apps", "--mute-audio",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
            "--user-data-dir=\(profile.path)",
        ] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = scratch.path
        environment["XDG_CONFIG_HOME"] = scratch.appendingPathComponent("config").path
        environment["XDG_CACHE_HOME"] = scratch.appendingPathComponent("cache").path
        process.environment = environment
        let stdout = try FileHandle(forWritingTo: outURL)
        let stderr = try FileHandle(forWritingTo: errURL)
        defer { try? stdout.close(); try? stderr.close() }
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw VectorError(description: "chromium \(arguments) did not finish in \(timeout) s")
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
                   stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self))
    }

    /// The DOM of `html` after its scripts ran, as Chromium serializes it, loaded from a `file://` URL ending in
    /// `fragment` (`#ev-7`).
    static func dumpDOM(of html: String, fragment: String = "") throws -> String {
        try withFile(html) { url in
            let run = try run(["--dump-dom", url.absoluteString + fragment])
            guard run.status == 0, run.stdout.contains("</html>") else {
                throw VectorError(description: "chromium --dump-dom failed (\(run.status)): \(run.stderr.suffix(2000))")
            }
            return run.stdout
        }
    }

    static func screenshot(of html: String, to png: URL, width: Int = 1400, height: Int = 1800,
                           fragment: String = "") throws
    {
        try withFile(html) { url in
            let run = try run(["--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=\(width),\(height)",
                               "--screenshot=\(png.path)", url.absoluteString + fragment])
            guard run.status == 0, FileManager.default.fileExists(atPath: png.path) else {
                throw VectorError(description: "chromium --screenshot failed (\(run.status)): \(run.stderr.suffix(2000))")
            }
        }
    }

    private static func withFile<T>(_ html: String, _ body: (URL) throws -> T) throws -> T {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("tls13-trace-html-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let file = dir.appendingPathComponent("trace.html")
        try Data(html.utf8).write(to: file)
        return try body(file)
    }
}

/// Width and height from a PNG's IHDR; nil if `data` is not a PNG.
fileprivate func pngSize(_ data: Data) -> (width: Int, height: Int)? {
    let bytes = [UInt8](data.prefix(24))
    guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
          bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
    func be32(_ i: Int) -> Int { bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (be32(16), be32(20))
}

@Suite(.serialized) struct TraceHTMLBrowserTests {
    /// Chromium loads the sample offline: the page's script ran (`data-ready`), parsed the embedded JSON
    /// (`data-json-events`), there is one `class="event"` element per JSON event, and the first event's panel is
    /// open and the others hidden.
    @Test func everyEventIsInTheDOM() async throws {
        let trace = try TraceFixtures.sample()
        let count = TraceFixtures.events(of: trace).count
        let html = TraceHTML.render(trace)
        let dom = try await runBlocking { try HeadlessChromium.dumpDOM(of: html) }
        let tags = HTMLTag.scan(dom)
        #expect(tags.events.count == count)
        let body = try #require(tags.first { $0.name == "body" })
        #expect(body.attribute("data-ready") == String(count))
        #expect(body.attribute("data-json-events") == String(count))
        #expect(tags.first { $0.name == "html" }?.classes.contains("js") == true)
        let panels = tags.filter { $0.name == "section" && $0.classes.contains("detail") }
        #expect(panels.count == count)
        #expect(panels.filter { $0.attribute("hidden") == nil }.map { $0.attribute("data-index") } == ["0"])
        #expect(panels.allSatisfy { $0.attribute("id") == nil }, "the script took the panels' ids")
        #expect(tags.events.filter { $0.classes.contains("selected") }.map { $0.attribute("id") } == ["e-0"])
        #expect(tags.withID("panel")?.attribute("data-selected") == "0")
        #expect(tags.withID("hint")?.attribute("hidden") != nil)
        let first = try #require(panelText(dom, index: 0))
        #expect(first.contains("resolved 127.0.0.1") && first.contains("<dt>addresses</dt>"))
    }

    /// The event named in the address opens (as a click or Tab would: the same function); its decoded fields are
    /// in the open panel.
    @Test func theChosenEventExpands() async throws {
        let html = TraceHTML.render(try TraceFixtures.sample())
        let dom = try await runBlocking { try HeadlessChromium.dumpDOM(of: html, fragment: "#ev-7") }
        let tags = HTMLTag.scan(dom)
        let open = tags.filter { $0.name == "section" && $0.classes.contains("detail") && $0.attribute("hidden") == nil }
        #expect(open.map { $0.attribute("data-index") } == ["7"])
        let panel = try #require(panelText(dom, index: 7))
        #expect(panel.contains("ClientHello") && panel.contains("X25519MLKEM768") && panel.contains("server_name"))
        #expect(tags.withID("e-7")?.classes.contains("selected") == true)
        #expect(tags.withID("e-0")?.classes.contains("selected") == false)

        let byKind = try await runBlocking { try HeadlessChromium.dumpDOM(of: html, fragment: "#kind=tls.keys") }
        #expect(HTMLTag.scan(byKind).withID("panel")?.attribute("data-selected") == "10")
    }

    /// Hostile strings do not become elements or break the embedded JSON; 0 and 2,000 events load.
    @Test(arguments: ["hostile", "empty", "large"])
    func oddTracesLoad(_ which: String) async throws {
        let trace: JSONValue
        switch which {
        case "hostile": trace = try TraceFixtures.hostile()
        case "empty": trace = try TraceFixtures.sample(events: [])
        default: trace = try TraceFixtures.large()
        }
        let count = TraceFixtures.events(of: trace).count
        let html = TraceHTML.render(trace)
        let dom = try await runBlocking { try HeadlessChromium.dumpDOM(of: html) }
        let tags = HTMLTag.scan(dom)
        #expect(tags.events.count == count)
        let body = try #require(tags.first { $0.name == "body" })
        #expect(body.attribute("data-ready") == String(count))
        #expect(body.attribute("data-json-events") == String(count))
        #expect(!tags.contains { $0.name == "img" })
        #expect(tags.filter { $0.name == "script" }.count == 2)
    }

    /// The screenshot: Chromium renders the sample at 1400×1800 (Scripts/trace-screenshot.sh does the same for
    /// Docs/trace-sample.png, which must be there and be such a PNG).
    @Test func screenshot() async throws {
        let html = TraceHTML.render(try TraceFixtures.sample())
        let png = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-trace-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: png) }
        try await runBlocking { try HeadlessChromium.screenshot(of: html, to: png, fragment: "#kind=tls.handshake") }
        let data = try Data(contentsOf: png)
        let size = try #require(pngSize(data))
        #expect(size.width == 1400 && size.height == 1800)
        #expect(data.count > 50_000, "a page with a diagram, not a blank one")

        let committed = CLIProcess.packageRoot.appendingPathComponent("Docs/trace-sample.png")
        let docs = try Data(contentsOf: committed)
        #expect(pngSize(docs).map { $0.width == 1400 && $0.height == 1800 } == true)
    }
}
