import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Failure of a test socket helper, with the errno text.
struct SocketTestError: Error, CustomStringConvertible {
    var description: String
    init(_ what: String, errno code: Int32 = errno) {
        description = "\(what): \(String(cString: strerror(code)))"
    }
}

/// A TCP listener on a loopback address and an ephemeral port, for tests. Uses plain blocking Glibc calls:
/// call its methods from ``runBlocking(_:)``, never directly on a Swift-concurrency thread.
final class LoopbackListener: @unchecked Sendable {
    // @unchecked Sendable: `fd` and `port` are immutable after init; the kernel serializes calls on the fd.
    enum Family: String, Sendable, CaseIterable {
        case v4 = "127.0.0.1"
        case v6 = "::1"
    }

    let fd: Int32
    let family: Family
    let port: UInt16

    /// Binds `family`'s loopback address on `port` (0: an ephemeral one) and listens, unless `listen` is false
    /// (a bound socket that does not listen refuses connections with RST).
    init(_ family: Family = .v4, port: UInt16 = 0, backlog: Int32 = 16, listen shouldListen: Bool = true) throws {
        self.family = family
        let domain = family == .v4 ? AF_INET : AF_INET6
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketTestError("socket") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var rc: Int32
        if family == .v4 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            rc = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } else {
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = in6addr_loopback
            rc = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        guard rc == 0 else {
            let err = errno
            close(fd)
            throw SocketTestError("bind \(family.rawValue) port \(port)", errno: err)
        }
        if shouldListen {
            guard listen(fd, backlog) == 0 else {
                let err = errno
                close(fd)
                throw SocketTestError("listen", errno: err)
            }
        }
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else {
            let err = errno
            close(fd)
            throw SocketTestError("getsockname", errno: err)
        }
        let bytes = withUnsafeBytes(of: storage) { Array($0.prefix(4)) }
        self.port = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        self.fd = fd
    }

    deinit { close(fd) }

    /// Accepts one connection, waiting at most `timeout` seconds. The returned descriptor is blocking and
    /// belongs to the caller (wrap it in ``TestConnection``).
    func accept(timeout: Double = 5) throws -> TestConnection {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let n = poll(&pfd, 1, Int32(timeout * 1000))
        guard n > 0 else { throw SocketTestError("accept: nothing to accept within \(timeout) s", errno: ETIMEDOUT) }
        let conn = Glibc.accept(fd, nil, nil)
        guard conn >= 0 else { throw SocketTestError("accept") }
        return TestConnection(fd: conn)
    }
}

/// The server side of a test connection: blocking I/O with helpers; closes in deinit.
final class TestConnection: @unchecked Sendable {
    // @unchecked Sendable: used from one thread at a time by the tests.
    private(set) var fd: Int32

    init(fd: Int32) { self.fd = fd }
    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Writes every byte (blocking).
    func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SocketTestError("send")
            }
            offset += n
        }
    }

    /// Reads exactly `count` bytes (blocking, at most `timeout` seconds per wait); throws on early EOF.
    func readExactly(_ count: Int, timeout: Double = 5) throws -> [UInt8] {
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while out.count < count {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(timeout * 1000)) > 0 else {
                throw SocketTestError("read: no data within \(timeout) s", errno: ETIMEDOUT)
            }
            let n = recv(fd, &chunk, min(chunk.count, count - out.count), 0)
            if n < 0 {
                if errno == EINTR { continue }
                throw SocketTestError("recv")
            }
            if n == 0 { throw SocketTestError("recv: EOF after \(out.count) of \(count) bytes", errno: 0) }
            out += chunk[0..<n]
        }
        return out
    }

    /// Closes with an RST instead of a FIN (SO_LINGER with a zero timeout).
    func resetAndClose() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }
}
