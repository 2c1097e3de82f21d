import Foundation
import Glibc

/// The shim's connection to the runner: TLS runs straight over it.
///
/// The runner wants 8 bytes of shim id before the TLS bytes on each connection, so the shim connects the socket
/// itself, writes the id, and hands the descriptor to `TLSConnection.connect(fileDescriptor:ownership:…)`
/// (borrowed: the shim closes it). At the end of a connection the shim sends FIN and drains what the runner still
/// sends until it closes, so the runner sees an orderly end rather than a reset.
final class ShimRunnerSocket {
    /// The connected descriptor, TLS's from `connect` on; closed by ``finish(timeout:)``.
    let fileDescriptor: Int32
    private var finished = false

    /// Connects to the runner and writes the shim id.
    init(port: UInt16, ipv6: Bool, shimID: UInt64) throws(ShimFailure) {
        fileDescriptor = try Self.connect(port: port, ipv6: ipv6)
        var id: [UInt8] = []
        for i in 0..<8 { id.append(UInt8(truncatingIfNeeded: shimID >> (8 * UInt64(i)))) }
        guard Self.writeAll(fileDescriptor, id[...]) else {
            close(fileDescriptor)
            throw ShimFailure("writing the shim id to the runner failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Sends FIN, reads (and drops) what the runner still sends until it closes or `timeout` seconds pass, and
    /// closes the descriptor. Call once TLS is done with it.
    func finish(timeout: Double) {
        guard !finished else { return }
        finished = true
        shutdown(fileDescriptor, Int32(SHUT_WR))
        let deadline = Date(timeIntervalSinceNow: timeout)
        var buffer = [UInt8](repeating: 0, count: 1 << 14)
        while true {
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            var pfd = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, left)
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { break }
            let n = buffer.withUnsafeMutableBytes { recv(fileDescriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n < 0, errno == EINTR || errno == EAGAIN { continue }
            if n <= 0 { break }
        }
        close(fileDescriptor)
    }

    private static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    private static func connect(port: UInt16, ipv6: Bool) throws(ShimFailure) -> Int32 {
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ShimFailure("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc: Int32
        if ipv6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = port.bigEndian
            addr.sin6_addr = in6addr_loopback
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ShimFailure("connecting to the runner on port \(port) failed: \(reason)")
        }
        return fd
    }
}

/// A failure of the shim itself (not of TLS), printed on stderr.
struct ShimFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
