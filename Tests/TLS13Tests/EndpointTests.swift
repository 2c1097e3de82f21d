import Testing
@testable import TLS13

@Suite struct EndpointTests {
    struct Good: Sendable, CustomStringConvertible {
        var text: String
        var host: String
        var port: UInt16
        var isIPLiteral: Bool
        var description: String { text }
    }

    static let good: [Good] = [
        Good(text: "example.com:8443", host: "example.com", port: 8443, isIPLiteral: false),
        Good(text: "example.com", host: "example.com", port: 443, isIPLiteral: false),
        Good(text: "localhost:4433", host: "localhost", port: 4433, isIPLiteral: false),
        Good(text: "localhost", host: "localhost", port: 443, isIPLiteral: false),
        Good(text: "my_host.example.:1", host: "my_host.example.", port: 1, isIPLiteral: false),
        Good(text: "xn--bcher-kva.example:65535", host: "xn--bcher-kva.example", port: 65535, isIPLiteral: false),
        Good(text: "127.0.0.1:4433", host: "127.0.0.1", port: 4433, isIPLiteral: true),
        Good(text: "10.1.2.3", host: "10.1.2.3", port: 443, isIPLiteral: true),
        Good(text: "[::1]:4433", host: "::1", port: 4433, isIPLiteral: true),
        Good(text: "[::1]", host: "::1", port: 443, isIPLiteral: true),
        Good(text: "::1", host: "::1", port: 443, isIPLiteral: true),
        Good(text: "2001:db8::1", host: "2001:db8::1", port: 443, isIPLiteral: true),
        Good(text: "[2001:db8::ffff:1.2.3.4]:80", host: "2001:db8::ffff:1.2.3.4", port: 80, isIPLiteral: true),
        Good(text: "[fe80::1%eth0]:443", host: "fe80::1%eth0", port: 443, isIPLiteral: true),
        Good(text: "host:0080", host: "host", port: 80, isIPLiteral: false),
    ]

    @Test(arguments: good)
    func parsesGoodAddresses(_ c: Good) throws {
        let e = try Endpoint.parse(c.text, defaultPort: 443)
        #expect(e.host == c.host)
        #expect(e.port == c.port)
        #expect(e.isIPLiteral == c.isIPLiteral)
    }

    static let bad: [String] = [
        "", ":443", "host:", "host:0", "host:65536", "host:99999999999999999999", "host:-1", "host:+80",
        "host:8a", "host: 80", "a:b:c", "::1:443:x", "[::1", "[::1]x", "[::1]:", "[::1]:0", "[127.0.0.1]:443",
        "[example.com]:443", "[]:443", "1.2.3", "127.1", "256.1.1.1", "ho st", "host/path", "-host.example",
        "host-.example", "a..b", ".example", "bücher.example", String(repeating: "a", count: 64) + ".example",
        String(repeating: "abcdefghi.", count: 26), "[fe80::1%]:443", "host\u{0}:443", "https://example.com",
    ]

    @Test(arguments: bad)
    func rejectsBadAddresses(_ text: String) {
        do {
            let e = try Endpoint.parse(text, defaultPort: 443)
            Issue.record("accepted '\(text)' as \(e)")
        } catch {
            guard case .network(let step, let reason) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(step == .parseAddress)
            #expect(!reason.isEmpty)
        }
    }

    @Test func descriptionBracketsIPv6() throws {
        #expect(try Endpoint.parse("::1", defaultPort: 443).description == "[::1]:443")
        #expect(try Endpoint.parse("[2001:db8::1]:8443", defaultPort: 443).description == "[2001:db8::1]:8443")
        #expect(try Endpoint.parse("localhost", defaultPort: 4433).description == "localhost:4433")
    }

    @Test func separateHostAndPortAreValidated() throws {
        let e = try Endpoint(host: "[::1]", port: 4433)
        #expect(e.host == "::1" && e.isIPLiteral)
        #expect(throws: TLSError.self) { try Endpoint(host: "localhost", port: 0) }
        #expect(throws: TLSError.self) { try Endpoint(host: "localhost", port: 70000) }
        #expect(throws: TLSError.self) { try Endpoint(host: "", port: 443) }
        let error = #expect(throws: TLSError.self) { try Endpoint(host: "x", port: 0) }
        #expect(error?.description.hasPrefix("address failed: ") == true)
    }
}
