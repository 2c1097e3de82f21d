import Foundation
import Glibc

/// A loopback TCP relay between `TLSConnection` and the runner.
///
/// The runner wants 8 bytes of shim id before the TLS bytes on each connection, and the library's public
/// API only connects sockets itself (there is no "run TLS over this connected socket"). So the shim
/// connects to the runner, writes the id, listens on an ephemeral loopback port for the TLS client, and
/// copies bytes both ways, forwarding each direction's end (FIN) with `shutdown(SHUT_WR)`.
final class ShimRelay: @unchecked Sendable {
    // @unchecked Sendable: the descriptors are set in init; `finished` is guarded by `lock`.
    private let runner: Int32
    private let listener: Int32
    /// The loopback port the TLS client connects to.
    let localPort: UInt16
    private let lock = NSCondition()
    private var finished = false

    /// Connects to the runner and writes the shim id; opens the local listener.
    init(port: UInt16, ipv6: Bool, shimID: UInt64) throws(ShimFailure) {
        runner = try Self.connect(port: port, ipv6: ipv6)
        var id: [UInt8] = []
        for i in 0..<8 { id.append(UInt8(truncatingIfNeeded: shimID >> (8 * UInt64(i)))) }
        guard Self.writeAll(runner, id[...]) else {
            close(runner)
            throw ShimFailure("writing the shim id to the runner failed: \(String(cString: strerror(errno)))")
        }
        do throws(ShimFailure) {
            (listener, localPort) = try Self.listen()
        } catch {
            close(runner)
            throw error
        }
    }

    /// Accepts the TLS client's connection (in the background) and relays until both directions end.
    func start() {
        let thread = Thread { [self] in
            run()
            lock.lock()
            finished = true
            lock.broadcast()
            lock.unlock()
        }
        thread.start()
    }

    /// Waits (at most `timeout` seconds) for the relay to finish, then closes everything.
    func finish(timeout: Double) {
        lock.lock()
        let until = Date(timeIntervalSinceNow: timeout)
        while !finished, lock.wait(until: until) {}
        if !finished {
            // Wake the relay (its poll sees the shutdown) and give it a moment to end.
            shutdown(runner, Int32(SHUT_RDWR))
            _ = lock.wait(until: Date(timeIntervalSinceNow: 1))
        }
        lock.unlock()
        close(runner)
    }

    private func run() {
        defer { close(listener) }
        var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 20_000) > 0 else { return }
        let local = accept(listener, nil, nil)
        guard local >= 0 else { return }
        defer { close(local) }
        var toRunnerOpen = true  // local → runner
        var toLocalOpen = true  // runner → local
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while toRunnerOpen || toLocalOpen {
            var fds = [
                pollfd(fd: toRunnerOpen ? local : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: toLocalOpen ? runner : -1, events: Int16(POLLIN), revents: 0),
            ]
            let n = poll(&fds, 2, 30_000)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return }  // idle for 30 s: give up
            if toRunnerOpen, fds[0].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(local, $0.baseAddress, $0.count) }
                if count > 0, Self.writeAll(runner, buffer[..<count]) {
                    // forwarded
                } else {
                    toRunnerOpen = false
                    shutdown(runner, Int32(SHUT_WR))
                    // The TLS side is done writing; once it has also closed, the runner has nothing to
                    // say to it that matters, but drain briefly so the runner does not see a reset.
                }
            }
            if toLocalOpen, fds[1].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(runner, $0.baseAddress, $0.count) }
                if count > 0 {
                    if !Self.writeAll(local, buffer[..<count]) {
                        // The TLS client closed its socket: keep draining the runner until it ends.
                        if !toRunnerOpen { continue }
                    }
                } else {
                    toLocalOpen = false
                    shutdown(local, Int32(SHUT_WR))
                }
            }
        }
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

    /// A listener on 127.0.0.1 with an ephemeral port.
    private static func listen() throws(ShimFailure) -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ShimFailure("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && Glibc.listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ShimFailure("local listener: \(reason)")
        }
        return (fd, UInt16(bigEndian: addr.sin_port))
    }
}

/// A failure of the shim itself (not of TLS), printed on stderr.
struct ShimFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
