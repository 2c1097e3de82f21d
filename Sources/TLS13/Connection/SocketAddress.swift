#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One resolved IPv4 or IPv6 socket address (a `sockaddr_storage` plus its length), as `getaddrinfo` returns
/// them and `connect(2)` takes them.
struct SocketAddress: Sendable, CustomStringConvertible {
    private var storage: sockaddr_storage
    /// The length of the address inside ``storage``.
    let length: socklen_t
    /// The socket protocol `getaddrinfo` suggested (0 lets the kernel pick TCP for `SOCK_STREAM`).
    let socketProtocol: Int32

    /// `AF_INET` or `AF_INET6`.
    var family: Int32 { Int32(storage.ss_family) }

    /// Copies `length` bytes of a C socket address. Returns `nil` for families other than IPv4/IPv6 or a length
    /// that does not fit.
    init?(_ address: UnsafePointer<sockaddr>, length: socklen_t, socketProtocol: Int32 = 0) {
        let family = Int32(address.pointee.sa_family)
        guard family == AF_INET || family == AF_INET6,
              Int(length) <= MemoryLayout<sockaddr_storage>.size, length > 0
        else { return nil }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(length)))
        }
        self.storage = storage
        self.length = length
        self.socketProtocol = socketProtocol
    }

    /// A numeric IPv4 or IPv6 address and a port, e.g. `SocketAddress(ip: "::1", port: 4433)`; `nil` if `ip` is
    /// not a literal.
    init?(ip: String, port: UInt16) {
        var storage = sockaddr_storage()
        var length: socklen_t
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, ip, &v4) == 1 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr = v4
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { dst in
                withUnsafeBytes(of: &sin) { dst.copyMemory(from: $0) }
            }
        } else if inet_pton(AF_INET6, ip, &v6) == 1 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = v6
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { dst in
                withUnsafeBytes(of: &sin6) { dst.copyMemory(from: $0) }
            }
        } else {
            return nil
        }
        self.storage = storage
        self.length = length
        self.socketProtocol = 0
    }

    /// Calls `body` with a `sockaddr` pointer and the address length.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            // sockaddr_storage is laid out to be viewed as any sockaddr_* type.
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    /// The numeric host (`127.0.0.1`, `::1`, `fe80::1%eth0`) without brackets.
    var host: String {
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let rc = withSockAddr { addr, len in
            getnameinfo(addr, len, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST)
        }
        guard rc == 0 else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The port in host byte order.
    var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            // sin_port and sin6_port are both at offset 2.
            UInt16(raw[2]) << 8 | UInt16(raw[3])
        }
    }

    /// `127.0.0.1:4433` or `[::1]:4433`.
    var description: String {
        family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
