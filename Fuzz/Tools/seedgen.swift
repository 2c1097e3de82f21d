// Writes the generated seed corpus: Fuzz/Corpus/{record,messages,client}/gen-*.
//
// Built and run by `Scripts/fuzz.sh seeds` over the fuzz build of TLS13 (-DTLS13_FUZZING). Sources: the
// server side of the RFC 8448 traces (Tests/TLS13Tests/Vectors/rfc8448/*.json) and of real `openssl s_server`
// handshakes (Fuzz/SeedSources/openssl-*.txt, recorded by Fuzz/Tools/capture-openssl.py). Server flights are
// re-framed as the fuzz build protects records (null AEAD), given the fuzzing client's session id echo, and
// their Finished is recomputed for the fuzzing client, so that most client seeds complete the handshake and
// go on into post-handshake messages; each seed's outcome is printed.
import Foundation
import TLS13

let root = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : FileManager.default.currentDirectoryPath)
let corpus = root.appendingPathComponent("Fuzz/Corpus")

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var chars = Array(s.utf8)[...]
    while chars.count >= 2 {
        out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
        chars = chars.dropFirst(2)
    }
    return out
}

func u16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
func u24(_ v: Int) -> [UInt8] { [UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
func record(_ type: UInt8, _ body: [UInt8]) -> [UInt8] { [type, 3, 3] + u16(body.count) + body }

var written: [String: Int] = [:]
func write(_ target: String, _ name: String, _ bytes: [UInt8]) {
    let dir = corpus.appendingPathComponent(target)
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try! Data(bytes).write(to: dir.appendingPathComponent("gen-\(name)"))
    written[target, default: 0] += 1
}

// MARK: - Sources

/// One server flight: its records as the fuzz client target should receive them.
struct Flight {
    var name: String
    var records: [_FuzzServerRecord]
    /// Every server handshake message, header included.
    var messages: [[UInt8]]
}

func rfc8448(_ file: String, name: String) -> Flight {
    let url = root.appendingPathComponent("Tests/TLS13Tests/Vectors/rfc8448/\(file).json")
    let json = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    var flight = Flight(name: name, records: [], messages: [])
    for r in json["records"] as! [[String: Any]] where r["sender"] as! String == "server" {
        let payload = hex(r["payload"] as! String)
        let type = UInt8(r["inner_content_type"] as! Int)
        if r["encrypted"] as! Bool {
            flight.records.append(.protected(contentType: type, content: payload))
        } else if type == 22 {
            flight.records.append(.plaintextHandshake(payload))
        } else {
            flight.records.append(.raw(record(type, payload)))
        }
        if type == 22 { flight.messages += splitMessages(payload) }
    }
    return flight
}

func openssl(_ name: String) -> Flight {
    let url = root.appendingPathComponent("Fuzz/SeedSources/openssl-\(name).txt")
    var flight = Flight(name: "openssl-\(name)", records: [], messages: [])
    var serverHelloSeen = false
    for line in try! String(contentsOf: url, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: " ")
        if parts[0] == "ccs" {
            flight.records.append(.raw(record(20, [1])))
            continue
        }
        let message = hex(String(parts[1]))
        flight.messages.append(message)
        // Before the (real) ServerHello in the clear; after it, protected. A HelloRetryRequest is in the clear.
        let isHello = message[0] == 2
        if !serverHelloSeen {
            flight.records.append(.plaintextHandshake(message))
            if isHello, Array(message[6..<38]) != helloRetryRequestRandom { serverHelloSeen = true }
        } else {
            flight.records.append(.protected(contentType: 22, content: message))
        }
    }
    return flight
}

let helloRetryRequestRandom = hex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

func splitMessages(_ bytes: [UInt8]) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var i = 0
    while bytes.count - i >= 4 {
        let length = Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
        guard i + 4 + length <= bytes.count else { break }
        out.append(Array(bytes[i..<(i + 4 + length)]))
        i += 4 + length
    }
    return out
}

/// `records` with extension `type` removed from EncryptedExtensions (RFC 8448's servers send record_size_limit,
/// which this client does not offer; without it those flights complete).
func droppingEncryptedExtension(_ type: Int, from records: [_FuzzServerRecord]) -> [_FuzzServerRecord] {
    records.map { r in
        guard case .protected(22, let content) = r else { return r }
        let patched = splitMessages(content).map { m -> [UInt8] in
            guard m[0] == 8 else { return m }
            var exts: [UInt8] = []
            var i = 6
            while i + 4 <= m.count {
                let t = Int(m[i]) << 8 | Int(m[i + 1])
                let n = Int(m[i + 2]) << 8 | Int(m[i + 3])
                if t != type { exts += m[i..<(i + 4 + n)] }
                i += 4 + n
            }
            return [8] + u24(exts.count + 2) + u16(exts.count) + exts
        }
        return .protected(contentType: 22, content: patched.flatMap { $0 })
    }
}

/// What a server sends after its handshake flight.
enum After {
    static let appData: _FuzzServerRecord = .protected(contentType: 23, content: Array("HTTP/1.1 200 OK\r\n\r\nhello".utf8))
    static let keyUpdateRequested: _FuzzServerRecord = .protected(contentType: 22, content: [24, 0, 0, 1, 1])
    static let keyUpdate: _FuzzServerRecord = .protected(contentType: 22, content: [24, 0, 0, 1, 0])
    static let closeNotify: _FuzzServerRecord = .protected(contentType: 21, content: [1, 0])
    /// A post-handshake CertificateRequest (context 0x2a, signature_algorithms ed25519 + ecdsa_secp256r1_sha256).
    static let certificateRequest: _FuzzServerRecord = .protected(
        contentType: 22, content: [13, 0, 0, 14, 1, 0x2a, 0, 10, 0, 13, 0, 6, 0, 4, 8, 7, 4, 3])
    /// A NewSessionTicket with early_data.
    static let ticket: _FuzzServerRecord = .protected(
        contentType: 22,
        content: [4, 0, 0, 30] + [0, 0, 0x1c, 0x20] + [1, 2, 3, 4] + [1, 7] + [0, 8] + Array("ticket-1".utf8)
            + [0, 8, 0, 42, 0, 4, 0, 0, 0x40, 0])
}

// MARK: - Client target

let flights: [String: Flight] = {
    var f: [String: Flight] = [:]
    for name in ["ecdsa-p256", "rsa2048-alpn", "ed25519-hrr", "p384-certificate-request", "chacha20", "resumption-early-data"] {
        let flight = openssl(name)
        f[flight.name] = flight
    }
    f["rfc8448-s3"] = rfc8448("section3_simple_1rtt", name: "rfc8448-s3")
    f["rfc8448-s4"] = rfc8448("section4_resumed_0rtt", name: "rfc8448-s4")
    f["rfc8448-s5"] = rfc8448("section5_hello_retry_request", name: "rfc8448-s5")
    f["rfc8448-s6"] = rfc8448("section6_client_authentication", name: "rfc8448-s6")
    f["rfc8448-s7"] = rfc8448("section7_compatibility_mode", name: "rfc8448-s7")
    for (name, flight) in f where name.hasPrefix("rfc8448") {
        f[name + "-adapted"] = Flight(name: name + "-adapted", records: droppingEncryptedExtension(28, from: flight.records), messages: [])
    }
    return f
}()

/// (flight, seed name suffix, config, chunk, actions, records after the flight)
let clientSeeds: [(String, String, UInt8, UInt8, UInt8, [_FuzzServerRecord])] = [
    ("openssl-ecdsa-p256", "basic", 0x00, 0, 0x21, [After.appData, After.closeNotify]),
    ("openssl-ecdsa-p256", "fix-keyupdate", 0x01, 0, 0x23, [After.appData, After.keyUpdateRequested, After.appData, After.closeNotify]),
    ("openssl-ecdsa-p256", "chunked-update-export", 0x00, 7, 0x1E, [After.keyUpdate, After.appData]),
    ("openssl-ecdsa-p256", "keyupdate-limit", 0x00, 0, 0x82, [After.appData, After.appData, After.appData]),
    ("openssl-rsa2048-alpn", "alpn", 0x02, 0, 0x31, [After.ticket, After.appData, After.closeNotify]),
    ("openssl-rsa2048-alpn", "no-alpn-offered", 0x00, 0, 0x00, []),
    ("openssl-ed25519-hrr", "hrr", 0x00, 0, 0x03, [After.appData]),
    ("openssl-ed25519-hrr", "hrr-fix", 0x01, 100, 0x01, [After.appData]),
    ("openssl-p384-certificate-request", "no-client-cert", 0x00, 0, 0x02, [After.appData]),
    ("openssl-p384-certificate-request", "client-cert", 0x04, 0, 0x02, [After.appData]),
    ("openssl-p384-certificate-request", "client-cert-post-handshake", 0x05, 0, 0x02, [After.certificateRequest, After.appData]),
    ("openssl-chacha20", "chacha", 0xC0, 0, 0x02, [After.appData, After.closeNotify]),
    ("openssl-chacha20", "chacha-fix", 0xC1, 3, 0x06, [After.keyUpdateRequested, After.closeNotify]),
    ("openssl-resumption-early-data", "psk-early-data", 0x18, 0, 0x02, [After.appData]),
    ("openssl-resumption-early-data", "psk-early-data-fix", 0x19, 0, 0x22, [After.ticket, After.closeNotify]),
    ("openssl-resumption-early-data", "psk-without-early-data", 0x08, 0, 0x00, []),
    ("rfc8448-s3-adapted", "sni", 0x00, 0, 0x03, [After.appData, After.closeNotify]),
    ("rfc8448-s3-adapted", "no-sni", 0x00, 0, 0x00, []),
    ("rfc8448-s4-adapted", "psk", 0x19, 0, 0x03, [After.appData]),
    ("rfc8448-s5-adapted", "hrr", 0x00, 0, 0x01, [After.ticket]),
    ("rfc8448-s6-adapted", "certificate-request", 0x05, 0, 0x03, [After.certificateRequest, After.appData]),
    ("rfc8448-s7-adapted", "compatibility-ccs", 0x01, 0, 0x01, [After.keyUpdateRequested]),
    ("rfc8448-s3", "sni", 0x00, 0, 0x01, []),
    ("rfc8448-s5", "hrr", 0x00, 0, 0x01, []),
]

for (flightName, suffix, config, chunk, actions, after) in clientSeeds {
    guard let flight = flights[flightName] else { fatalError("no flight \(flightName)") }
    let built = _fuzzBuildClientInput(config: config, chunk: chunk, actions: actions, flight: flight.records + after)
    let replay = _fuzzClientFixInput(built.input)
    print("client/gen-\(flightName)-\(suffix): \(built.input.count) bytes, ends in \(replay.state)")
    write("client", "\(flightName)-\(suffix)", built.input)
}

// MARK: - Messages target

let types: [UInt8] = [1, 2, 4, 5, 8, 11, 13, 15, 20, 24]
var messageCount = 0
var allMessages: [(String, [UInt8])] = []
for (name, flight) in flights.sorted(by: { $0.key < $1.key }) {
    for message in flight.messages { allMessages.append((name, message)) }
}
for trace in ["section3_simple_1rtt", "section4_resumed_0rtt", "section5_hello_retry_request", "section6_client_authentication"] {
    let url = root.appendingPathComponent("Tests/TLS13Tests/Vectors/rfc8448/\(trace).json")
    let json = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    for r in json["records"] as! [[String: Any]] where r["sender"] as! String == "client" && r["inner_content_type"] as! Int == 22 {
        for message in splitMessages(hex(r["payload"] as! String)) { allMessages.append(("\(trace)-client", message)) }
    }
}
var seenMessages = Set<[UInt8]>()
for (source, message) in allMessages where seenMessages.insert(message).inserted {
    guard let index = types.firstIndex(of: message[0]) else { continue }
    let body = Array(message.dropFirst(4))
    let name = "\(source)-type\(message[0])-\(messageCount)"
    messageCount += 1
    write("messages", name, [UInt8(index)] + body)
    if messageCount % 4 == 0 { write("messages", "\(name)-framed", [11] + message) }
    if messageCount % 5 == 0 { write("messages", "\(name)-anytype", [10, message[0]] + body) }
    // Extension blocks.
    switch message[0] {
    case 1:  // ClientHello: after random, session id, suites, compression methods
        var i = 4 + 2 + 32
        i += 1 + Int(message[i])
        i += 2 + (Int(message[i]) << 8 | Int(message[i + 1]))
        i += 1 + Int(message[i])
        write("messages", "\(name)-ch-extensions", [13] + message[i...])
    case 2:
        var i = 4 + 2 + 32
        i += 1 + Int(message[i]) + 2 + 1
        let isRetry = Array(message[6..<38]) == helloRetryRequestRandom
        write("messages", "\(name)-\(isRetry ? "hrr" : "sh")-extensions", [isRetry ? 15 : 14] + message[i...])
    case 8: write("messages", "\(name)-ee-extensions", [16] + body)
    case 13: write("messages", "\(name)-cr-extensions", [17] + body.dropFirst(1 + Int(body[0])))
    case 4:
        var i = 4 + 8
        i += 1 + Int(message[i])
        i += 2 + (Int(message[i]) << 8 | Int(message[i + 1]))
        write("messages", "\(name)-nst-extensions", [18] + message[i...])
    default: break
    }
}
// Certificate entry extensions (status_request, SCT), an alert, a reassembler stream, a saved session.
write("messages", "raw-extensions", [19, 0, 12, 0, 5, 0, 3, 1, 2, 3, 0, 18, 0, 1, 9])
write("messages", "alert-close-notify", [12, 1, 0])
write("messages", "alert-fatal", [12, 2, 40])
write("messages", "reassembler-flight", [20, 9] + (flights["openssl-ecdsa-p256"]?.messages.dropFirst().flatMap { $0 } ?? []))
write("messages", "reassembler-rfc", [20, 0] + (flights["rfc8448-s3"]?.messages.flatMap { $0 } ?? []))
let session: [UInt8] = Array("TLS13SESSION1".utf8) + u16(8) + Array("ticket-1".utf8) + [0x13, 0x01] + [0, 0, 0x1c, 0x20]
    + [1, 2, 3, 4] + [0, 0, 1, 0x8b, 0xcf, 0xe5, 0x68, 0] + [0, 0, 0x40, 0] + [2] + Array("h2".utf8)
    + u16(9) + Array("localhost".utf8) + [1] + [32] + [UInt8](repeating: 0x33, count: 32)
write("messages", "session", [21] + session)
// The longest ALPN a saved session can hold (255 bytes).
let longALPN: [UInt8] = Array("TLS13SESSION1".utf8) + u16(8) + Array("ticket-1".utf8) + [0x13, 0x01] + [0, 0, 0x1c, 0x20]
    + [1, 2, 3, 4] + [0, 0, 1, 0x8b, 0xcf, 0xe5, 0x68, 0] + [0, 0, 0x40, 0] + [255] + [UInt8](repeating: 0x61, count: 255)
    + u16(9) + Array("localhost".utf8) + [0] + [32] + [UInt8](repeating: 0x33, count: 32)
write("messages", "session-long-alpn", [21] + longALPN)

// ECHConfigLists (selector 22): one X25519 config; an unknown version, a P-256 config and a config with a mandatory
// extension; a config whose public name is an IP address (passed over) before a usable one.
func echConfig(id: UInt8, kem: Int, key: [UInt8], suites: [(Int, Int)], name: String, extensions: [UInt8] = []) -> [UInt8] {
    let contents = [id] + u16(kem) + u16(key.count) + key + u16(suites.count * 4) + suites.flatMap { u16($0.0) + u16($0.1) }
        + [0] + [UInt8(name.utf8.count)] + Array(name.utf8) + u16(extensions.count) + extensions
    return u16(0xfe0d) + u16(contents.count) + contents
}
func echList(_ configs: [[UInt8]]) -> [UInt8] { let all = configs.flatMap { $0 }; return u16(all.count) + all }
let x25519Key = [UInt8](repeating: 0x42, count: 32)
let p256Key = [0x04] + [UInt8](repeating: 0x17, count: 64)
write("messages", "ech-config-x25519", [22] + echList([
    echConfig(id: 7, kem: 0x20, key: x25519Key, suites: [(1, 1), (1, 3)], name: "ech-public.example")]))
write("messages", "ech-config-mixed", [22] + echList([
    u16(0xfe0c) + u16(4) + [1, 2, 3, 4],
    echConfig(id: 1, kem: 0x10, key: p256Key, suites: [(2, 2)], name: "public.example", extensions: u16(0x8001) + u16(0)),
    echConfig(id: 2, kem: 0x10, key: p256Key, suites: [(1, 0xFFFF), (2, 2)], name: "public.example"),
]))
write("messages", "ech-config-ip-name", [22] + echList([
    echConfig(id: 3, kem: 0x20, key: x25519Key, suites: [(1, 1)], name: "192.0.2.1"),
    echConfig(id: 4, kem: 0x20, key: x25519Key, suites: [(3, 1), (1, 3)], name: "ech.example"),
]))
// CompressedCertificates (selector 23): the RFC 8448 and OpenSSL ECDSA chains' Certificate under each algorithm.
for (flightName, seedName) in [("rfc8448-s3", "rfc8448"), ("openssl-ecdsa-p256", "openssl-ecdsa-p256")] {
    guard let message = flights[flightName]?.messages.first(where: { $0[0] == 11 }) else { fatalError("no Certificate in \(flightName)") }
    for (algorithm, input) in _fuzzCompressedCertificateSeeds(certificateBody: Array(message[4...])) {
        write("messages", "compressed-certificate-\(seedName)-\(algorithm)", input)
    }
}

// MARK: - Record target

// mode 0: records in the clear (mode 4: change_cipher_spec allowed).
if let flight = flights["openssl-ecdsa-p256"] {
    let hello = flight.messages[0]
    write("record", "clear-serverhello", [0, 255] + record(22, hello))
    write("record", "clear-serverhello-ccs", [4, 3] + record(22, hello) + record(20, [1]) + record(21, [2, 40]))
    // mode 1: null-AEAD records, one per message, with padding on the last.
    var stream: [UInt8] = []
    for (i, message) in flight.messages.dropFirst().enumerated() {
        stream += record(23, message + [22] + [UInt8](repeating: 0, count: i == 0 ? 7 : 0) + [UInt8](repeating: 0xA5, count: 16))
    }
    stream += record(23, Array("hello".utf8) + [23] + [UInt8](repeating: 0xA5, count: 16))
    stream += record(23, [1, 0, 21] + [UInt8](repeating: 0xA5, count: 16))
    write("record", "null-aes128gcm", [1, 255] + stream)
    write("record", "null-aes128gcm-chunked", [1, 16] + stream)
    write("record", "null-ccm8", [1 | 4 << 3, 255] + stream.prefix(200))
}
// mode 2: RFC 8448's real ciphertexts under the wrong key (authentication fails).
let s3 = try! JSONSerialization.jsonObject(
    with: Data(contentsOf: root.appendingPathComponent("Tests/TLS13Tests/Vectors/rfc8448/section3_simple_1rtt.json"))) as! [String: Any]
let s3Records = (s3["records"] as! [[String: Any]]).filter { $0["sender"] as! String == "server" && $0["encrypted"] as! Bool }
write("record", "evp-rfc8448", [2, 255] + s3Records.flatMap { hex($0["record"] as! String) })
// mode 3: write and read back.
write("record", "write-appdata", [3 | 0x84, 1] + [UInt8](repeating: 0x41, count: 300))
write("record", "write-handshake-protected", [3 | 0x40, 2] + (flights["rfc8448-s3"]?.messages.flatMap { $0 } ?? []))
write("record", "write-alert", [3 | 0x80, 255, 1, 0])

// MARK: - Certificate target

/// The DER certificates of a PEM file.
func pemCertificates(_ path: String) -> [[UInt8]] {
    guard let text = try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) else { return [] }
    var out: [[UInt8]] = []
    var base64 = ""
    var inside = false
    for line in text.split(separator: "\n") {
        if line.hasPrefix("-----BEGIN CERTIFICATE") { inside = true; base64 = ""; continue }
        if line.hasPrefix("-----END CERTIFICATE") {
            inside = false
            if let data = Data(base64Encoded: base64) { out.append(Array(data)) }
            continue
        }
        if inside { base64 += line.trimmingCharacters(in: .whitespaces) }
    }
    return out
}

let certificateSeeds: [(String, UInt8, UInt16)] = [
    ("leaf-ecdsa-p256", 1, 0x0403), ("leaf-ecdsa-p384", 1, 0x0503), ("leaf-rsa2048", 0, 0x0804),
    ("leaf-ed25519", 1, 0x0807), ("leaf-expired", 1, 0x0403), ("leaf-not-yet-valid", 1, 0x0403),
    ("leaf-wrong-host", 1, 0x0403), ("leaf-self-signed", 0, 0x0403), ("leaf-unknown-ca", 1, 0x0403),
    ("client-rsa2048", 1, 0x0401), ("intermediate", 1, 0x0403), ("ca", 0, 0x0807),
]
for (name, flags, scheme) in certificateSeeds {
    guard let der = pemCertificates("Certs/\(name).pem").first else { fatalError("no Certs/\(name).pem") }
    let signature = [UInt8](repeating: 0x30, count: 8)
    write("certificate", name, [flags] + u16(Int(scheme)) + [UInt8(signature.count / 2)] + signature + der)
}
// The RFC 8448 server certificate (RSA-1024), from its Certificate message.
if let message = flights["rfc8448-s3"]?.messages.first(where: { $0[0] == 11 }) {
    let length = Int(message[8]) << 16 | Int(message[9]) << 8 | Int(message[10])
    write("certificate", "rfc8448-rsa1024", [1, 0x08, 0x04, 0] + message[11..<(11 + length)])
}

print("wrote", written.sorted(by: { $0.key < $1.key }).map { "\($0.key): \($0.value)" }.joined(separator: ", "))
