import Foundation
import Testing


extension Array where Element == UInt8 {
    /// Parses lowercase or uppercase hex; throws on odd length or a non-hex character.
    init(hex: String) throws {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { throw VectorError(description: "odd-length hex: \(hex.prefix(16))…") }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: throw VectorError(description: "non-hex character in \(hex.prefix(16))…")
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            out.append(try nibble(chars[i]) << 4 | nibble(chars[i + 1]))
            i += 2
        }
        self = out
    }

    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

/// Where the test vectors live: `Tests/TLS13Tests/Vectors`, found from this file's path.
/// `TLS13_VECTORS` overrides it.
enum VectorPaths {
    static var root: URL {
        if let env = ProcessInfo.processInfo.environment["TLS13_VECTORS"] {
            return URL(fileURLWithPath: env)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Helpers
            .deletingLastPathComponent()  // TLS13Tests
            .appendingPathComponent("Vectors")
    }

    static func load(_ relative: String) throws -> Data {
        let url = root.appendingPathComponent(relative)
        do {
            return try Data(contentsOf: url)
        } catch {
            throw VectorError(description: "cannot read vector file \(url.path): \(error)")
        }
    }
}

/// One RFC 8448 trace (see `Vectors/rfc8448/README.md`).
struct RFC8448Trace: Decodable {
    struct Record: Decodable {
        var sender: String
        var encrypted: Bool
        var inner_content_type: Int?
        var key: String?
        var iv: String?
        var seq: UInt64?
        var payload: String
        var record: String
    }

    var section: String
    var title: String
    var hash: String
    var values: [String: String]
    var records: [Record]

    /// Loads e.g. `RFC8448Trace.load("section3_simple_1rtt")`.
    static func load(_ name: String) throws -> RFC8448Trace {
        try JSONDecoder().decode(RFC8448Trace.self, from: VectorPaths.load("rfc8448/\(name).json"))
    }

    /// The named value as bytes; throws (naming the field) if absent or not hex.
    func bytes(_ name: String) throws -> [UInt8] {
        guard let hex = values[name] else { throw VectorError(description: "trace \(section) has no value \(name)") }
        return try [UInt8](hex: hex)
    }
}

/// `JSONDecoder` behind one name, so test files need not import Foundation for a decode.
enum JSONDecoderShim {
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
