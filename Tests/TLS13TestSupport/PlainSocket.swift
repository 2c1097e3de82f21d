import Foundation
import Glibc

/// A plain blocking TCP socket on loopback, for tests that move TLS bytes themselves (the engine's pump, a
/// STARTTLS preamble, a proxy): connect, read with a timeout, write everything, shut down, close.
///
/// Every call blocks: use it from ``runBlocking(_:)``. The descriptor is closed in ``close()`` or `deinit`,
/// unless ``release()`` handed it over.
public final class PlainSocket: @unchecked Sendable {
    // @unchecked Sendable: `fd` changes only in close()/release(); the tests use one socket from one thread.
    public private(set) var fd: Int32

    /// Adopts a connected descriptor (e.g. one a listener accepted).
    public init(fd: Int32) { self.fd = fd }

    /// Connects to `host:port` (an IPv4 or IPv6 literal).
    public init(host: String = "127.0.0.1", port: UInt16) throws {
        let v6 = host.contains(":")
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw VectorError(description: "socket: \(String(cString: strerror(errno)))") }
        let rc: Int32
        if v6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &addr.sin6_addr)
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &addr.sin_addr)
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw VectorError(description: "connect to \(host):\(port): \(reason)")
        }
    }

    deinit { close() }

    /// Reads what is available (at most `maxCount` bytes), waiting at most `timeout` seconds for the first byte.
    /// - Returns: the bytes; empty at end of stream.
    /// - Throws: when nothing arrives in time, or the read fails.
    public func read(maxCount: Int = 1 << 16, timeout: Double = 5) throws -> [UInt8] {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, Int32(timeout * 1000))
        guard ready > 0 else { throw VectorError(description: "no data within \(timeout) s") }
        var buffer = [UInt8](repeating: 0, count: maxCount)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { throw VectorError(description: "recv: \(String(cString: strerror(errno)))") }
        return Array(buffer[0..<n])
    }

    /// Reads one line (up to and including `\n`) one byte at a time, so nothing after it is consumed.
    public func readLine(timeout: Double = 5) throws -> String {
        var line: [UInt8] = []
        while line.last != UInt8(ascii: "\n") {
            let byte = try read(maxCount: 1, timeout: timeout)
            guard let b = byte.first else { throw VectorError(description: "end of stream inside a line: \(line)") }
            line.append(b)
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw VectorError(description: "send: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    /// Writes `text` as UTF-8.
    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Sends FIN (this side writes no more).
    public func shutdownWrite() { if fd >= 0 { shutdown(fd, Int32(SHUT_WR)) } }

    /// Closes the descriptor (idempotent).
    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Gives up the descriptor without closing it (the caller now owns it).
    public func release() -> Int32 {
        defer { fd = -1 }
        return fd
    }
}

/// A listening TCP socket on `127.0.0.1:0`, for a server written in a test.
public final class PlainListener: @unchecked Sendable {
    public let fd: Int32
    public let port: UInt16

    /// - Parameter backlog: `listen`'s backlog (0 makes a listener whose queue fills after one connection).
    public init(backlog: Int32 = 16) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw VectorError(description: "socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, backlog) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw VectorError(description: "listen: \(reason)")
        }
        self.fd = fd
        port = UInt16(bigEndian: addr.sin_port)
    }

    /// Accepts one connection, waiting at most `timeout` seconds.
    public func accept(timeout: Double = 10) throws -> PlainSocket {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) > 0 else { throw VectorError(description: "no connection in \(timeout) s") }
        let client = Glibc.accept(fd, nil, nil)
        guard client >= 0 else { throw VectorError(description: "accept: \(String(cString: strerror(errno)))") }
        return PlainSocket(fd: client)
    }

    deinit { Glibc.close(fd) }
}
