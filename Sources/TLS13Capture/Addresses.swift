import Glibc

/// An IPv4 or IPv6 address, as the 4 or 16 bytes of the packet header.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address in network byte order: 4 bytes (IPv4) or 16 (IPv6).
    public let bytes: [UInt8]

    /// An address from its 4 or 16 bytes; `nil` for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted IPv4 (`127.0.0.1`) or IPv6 text (`::1`; no zone, no brackets) with `inet_pton`.
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    /// Whether this is an IPv6 address.
    public var isIPv6: Bool { bytes.count == 16 }

    /// Whether this is a loopback address (`127.0.0.0/8`, `::1`).
    public var isLoopback: Bool {
        if bytes.count == 4 { return bytes[0] == 127 }
        return bytes.count == 16 && bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
    }

    /// The usual text form (`inet_ntop`): `127.0.0.1`, `::1`.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBufferPointer { source in
            buffer.withUnsafeMutableBufferPointer { out in
                inet_ntop(family, source.baseAddress, out.baseAddress, socklen_t(out.count)) != nil
            }
        }
        guard ok else { return bytes.map { String($0) }.joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// IPv4 before IPv6, then by bytes.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.bytes.count != rhs.bytes.count { return lhs.bytes.count < rhs.bytes.count }
        return lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// One end of a TCP connection: address and port.
public struct TCPEndpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The IP address.
    public var address: IPAddress
    /// The TCP port.
    public var port: UInt16

    /// An endpoint from its address and port.
    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `127.0.0.1:4433`, `[::1]:4433`.
    public var description: String {
        address.isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    public static func < (lhs: TCPEndpoint, rhs: TCPEndpoint) -> Bool {
        if lhs.address != rhs.address { return lhs.address < rhs.address }
        return lhs.port < rhs.port
    }
}
