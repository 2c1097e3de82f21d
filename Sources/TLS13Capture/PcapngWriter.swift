import Glibc

/// Writes captured packets as a pcapng file (<https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html>)
/// with the connection's TLS key log in a Decryption Secrets Block, so `tshark -r FILE` or Wireshark decrypts the
/// TLS traffic from the file alone.
///
/// Layout, all little-endian (the Section Header Block's byte-order magic says so):
/// 1. Section Header Block (`0x0A0D0D0A`), version 1.0, section length unknown, `shb_userappl`.
/// 2. Decryption Secrets Block (`0x0000000A`), secrets type `TLSK` (`0x544C534B`): the NSS key log lines, padded
///    to 4 bytes. Only when a key log is given; before every packet, as readers need.
/// 3. One Interface Description Block (`0x00000001`) per link type among the packets (normally one): link type,
///    snap length, `if_name`, `if_tsresol` (9: nanoseconds, or 6: microseconds).
/// 4. One Enhanced Packet Block (`0x00000006`) per packet: interface, 64-bit timestamp in `if_tsresol` units,
///    captured and original length, the frame padded to 4 bytes.
public struct PcapngWriter: Sendable {
    /// The units of the Enhanced Packet Blocks' timestamps.
    public enum TimestampResolution: Sendable {
        /// 10⁻⁹ s (`if_tsresol` = 9).
        case nanoseconds
        /// 10⁻⁶ s (`if_tsresol` = 6, pcapng's default).
        case microseconds

        var tsresol: UInt8 { self == .nanoseconds ? 9 : 6 }
        var divisor: UInt64 { self == .nanoseconds ? 1 : 1000 }
    }

    /// The NSS key log (`CLIENT_HANDSHAKE_TRAFFIC_SECRET <random> <secret>` lines…), or `nil` for no DSB.
    public var keyLog: String?
    /// The snap length the Interface Description Block records.
    public var snapLength: Int
    /// The `if_name` option (`lo`, `any`), or `nil` to leave it out.
    public var interfaceName: String?
    /// The units of the packet timestamps (`if_tsresol`).
    public var timestampResolution: TimestampResolution
    /// The `shb_userappl` option.
    public var application: String

    /// A writer; every part has a default (no key log, snap length 65535, no interface name, nanoseconds).
    public init(keyLog: String? = nil, snapLength: Int = 65535, interfaceName: String? = nil,
                timestampResolution: TimestampResolution = .nanoseconds, application: String = "swift-tls13") {
        self.keyLog = keyLog
        self.snapLength = snapLength
        self.interfaceName = interfaceName
        self.timestampResolution = timestampResolution
        self.application = application
    }

    /// A writer for what `capture` captured (its snap length and interface name).
    public init(capture: PacketCapture, keyLog: String?) {
        self.init(keyLog: keyLog, snapLength: capture.snapLength, interfaceName: capture.interface,
                  timestampResolution: capture.nanosecondTimestamps ? .nanoseconds : .microseconds)
    }

    // Block types and the DSB's secrets type.
    static let sectionHeaderType: UInt32 = 0x0A0D_0D0A
    static let interfaceDescriptionType: UInt32 = 0x0000_0001
    static let enhancedPacketType: UInt32 = 0x0000_0006
    static let decryptionSecretsType: UInt32 = 0x0000_000A
    static let tlsKeyLogSecretsType: UInt32 = 0x544C_534B  // "TLSK"

    /// The file's bytes.
    public func encode(_ packets: [CapturedPacket]) -> [UInt8] {
        var out: [UInt8] = []
        // Section Header Block: byte-order magic, version 1.0, section length -1 (not given), options.
        var shb: [UInt8] = []
        shb.appendLE(UInt32(0x1A2B_3C4D))
        shb.appendLE(UInt16(1))
        shb.appendLE(UInt16(0))
        shb.appendLE(UInt64.max)
        shb.appendOption(code: 4, Array(application.utf8))  // shb_userappl
        shb.appendOption(code: 0, [])  // opt_endofopt
        out.appendBlock(type: Self.sectionHeaderType, body: shb)

        if let keyLog, !keyLog.isEmpty {
            var lines = Array(keyLog.utf8)
            if lines.last != UInt8(ascii: "\n") { lines.append(UInt8(ascii: "\n")) }
            var dsb: [UInt8] = []
            dsb.appendLE(Self.tlsKeyLogSecretsType)
            dsb.appendLE(UInt32(lines.count))
            dsb.append(contentsOf: lines)
            dsb.padTo4()
            out.appendBlock(type: Self.decryptionSecretsType, body: dsb)
        }

        var interfaces: [LinkType] = []
        for packet in packets where !interfaces.contains(packet.linkType) { interfaces.append(packet.linkType) }
        for link in interfaces {
            var idb: [UInt8] = []
            idb.appendLE(link.rawValue)
            idb.appendLE(UInt16(0))  // reserved
            idb.appendLE(UInt32(clamping: snapLength))
            if let interfaceName { idb.appendOption(code: 2, Array(interfaceName.utf8)) }  // if_name
            idb.appendOption(code: 9, [timestampResolution.tsresol])  // if_tsresol
            idb.appendOption(code: 0, [])
            out.appendBlock(type: Self.interfaceDescriptionType, body: idb)
        }

        for packet in packets {
            let interfaceID = UInt32(interfaces.firstIndex(of: packet.linkType) ?? 0)
            let units = packet.timestampNanoseconds / timestampResolution.divisor
            var epb: [UInt8] = []
            epb.appendLE(interfaceID)
            epb.appendLE(UInt32(truncatingIfNeeded: units >> 32))
            epb.appendLE(UInt32(truncatingIfNeeded: units))
            epb.appendLE(UInt32(clamping: packet.frame.count))
            epb.appendLE(UInt32(clamping: max(packet.originalLength, packet.frame.count)))
            epb.append(contentsOf: packet.frame)
            epb.padTo4()
            out.appendBlock(type: Self.enhancedPacketType, body: epb)
        }
        return out
    }

    /// Writes the file at `path` with mode 0600 (it holds secrets): created if missing, truncated and set to 0600
    /// if present. A symbolic link at `path` is refused.
    public func write(_ packets: [CapturedPacket], to path: String) throws(CaptureError) {
        let bytes = encode(packets)
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode_t(0o600))
        guard fd >= 0 else { throw .fileError(path: path, reason: Self.errnoText()) }
        var closed = false
        defer { if !closed { _ = Glibc.close(fd) } }
        guard fchmod(fd, mode_t(0o600)) == 0 else { throw .fileError(path: path, reason: Self.errnoText()) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress.map { $0 + written }, raw.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .fileError(path: path, reason: Self.errnoText())
            }
            written += n
        }
        closed = true
        guard Glibc.close(fd) == 0 else { throw .fileError(path: path, reason: Self.errnoText()) }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

extension [UInt8] {
    mutating func appendLE(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func appendLE(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func appendLE(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func padTo4() {
        while count % 4 != 0 { append(0) }
    }

    /// A pcapng option: code, length, value padded to 4 bytes.
    mutating func appendOption(code: UInt16, _ value: [UInt8]) {
        let value = value.prefix(0xFFFC)  // an option's length is 16 bits
        appendLE(code)
        appendLE(UInt16(value.count))
        append(contentsOf: value)
        padTo4()
    }

    /// A block: type, total length, body (already a multiple of 4), total length again.
    mutating func appendBlock(type: UInt32, body: [UInt8]) {
        let total = UInt32(clamping: body.count + 12)
        appendLE(type)
        appendLE(total)
        append(contentsOf: body)
        appendLE(total)
    }
}
