#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A connected TCP socket: a non-blocking file descriptor whose every wait goes through `poll(2)` with a
/// ``Deadline``, so no call blocks forever.
///
/// Created by ``connect(host:port:timeout:)``, which resolves the name, tries each address in turn under one
/// overall deadline, and leaves the socket non-blocking with `TCP_NODELAY` set.
///
/// ## Threads
/// One thread may read while another writes: the read and write paths share nothing mutable except the atomic
/// ``isClosed`` flag. Two concurrent readers (or two concurrent writers) are not supported.
///
/// ## Closing
/// ``close()`` shuts the connection down (`shutdown(SHUT_RDWR)`: the peer sees FIN, and a read or write blocked
/// in `poll` on another thread wakes up and throws ``TLSError/closed``), but the descriptor itself is released
/// only in `deinit`. So the descriptor number stays owned by this object for as long as any thread can still
/// hold a reference to it, and a late `recv`/`send` can never hit an unrelated file that reused the number.
///
/// A borrowed descriptor (``adopting(fileDescriptor:ownership:)`` with ``TLSDescriptorOwnership/borrow``) is never
/// shut down or closed, and its file status flags are left alone (`recv`/`send` with `MSG_DONTWAIT`): ``close()``
/// only marks it closed, and waits on it `poll` in slices of ``borrowedPollSlice`` milliseconds so a blocked call
/// notices.
final class TCPSocket: Sendable, CustomStringConvertible {
    /// The descriptor, valid until `deinit`. Exposed for an async event loop; never close it yourself.
    let fileDescriptor: Int32
    /// The address actually connected to, e.g. `127.0.0.1:4433` or `[::1]:4433`.
    let remoteAddress: String
    /// Time from the start of ``connect(host:port:timeout:)`` (including DNS) to the established connection.
    let connectDuration: Duration
    /// The descriptor belongs to the caller: never shut down, closed, or switched to non-blocking here.
    let isBorrowed: Bool
    private let closed = Atomic<Bool>(false)

    /// The longest single `poll` on a borrowed descriptor: how soon a blocked call notices ``close()``.
    static let borrowedPollSlice: Int32 = 100

    private init(fileDescriptor: Int32, remoteAddress: String, connectDuration: Duration, borrowed: Bool = false) {
        self.fileDescriptor = fileDescriptor
        self.remoteAddress = remoteAddress
        self.connectDuration = connectDuration
        self.isBorrowed = borrowed
    }

    /// Takes ownership of an already connected stream socket (e.g. one end of `socketpair`, or a descriptor a test
    /// server accepted) and switches it to non-blocking mode. The descriptor is closed in `deinit`.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` if `fcntl` fails (not an open descriptor).
    static func adopting(fileDescriptor fd: Int32, remoteAddress: String) throws(TLSError) -> TCPSocket {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw TLSError.invalidConfiguration("cannot adopt descriptor \(fd): \(errnoMessage(errno))")
        }
        return TCPSocket(fileDescriptor: fd, remoteAddress: remoteAddress, connectDuration: .zero)
    }

    /// A caller's connected stream socket: checked to be one (`SO_TYPE` `SOCK_STREAM`, with a peer), `TCP_NODELAY`
    /// set when it is TCP; switched to non-blocking only when the connection takes ownership.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for a descriptor that is not an open, connected stream
    ///   socket. With ``TLSDescriptorOwnership/takeOwnership`` the descriptor is closed before throwing.
    static func adopting(fileDescriptor fd: Int32, ownership: TLSDescriptorOwnership) throws(TLSError) -> TCPSocket {
        func refuse(_ reason: String) -> TLSError {
            if ownership == .takeOwnership, fd >= 0 { _ = Glibc.close(fd) }
            return TLSError.invalidConfiguration("descriptor \(fd) \(reason)")
        }
        guard fd >= 0 else { throw refuse("is negative") }
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 else {
            throw refuse("is not a socket: \(errnoMessage(errno)) (use a TLSTransport for other streams)")
        }
        guard type == Int32(SOCK_STREAM.rawValue) else { throw refuse("is not a stream socket") }
        guard let remote = TCPObservation.address(fd: fd, peer: true) ?? peerName(fd) else {
            throw refuse("is not connected: \(errnoMessage(errno))")
        }
        var one: Int32 = 1
        // Handshake flights are small and latency-bound (fails harmlessly on a Unix-domain socket).
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if ownership == .takeOwnership {
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
                throw refuse("cannot be made non-blocking: \(errnoMessage(errno))")
            }
        }
        return TCPSocket(fileDescriptor: fd, remoteAddress: remote, connectDuration: .zero, borrowed: ownership == .borrow)
    }

    /// A name for a connected socket whose peer address has no text form (a Unix-domain socket pair), or `nil`
    /// when it has no peer.
    private static func peerName(_ fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        return rc == 0 ? "fd \(fd)" : nil
    }

    deinit { if !isBorrowed { _ = Glibc.close(fileDescriptor) } }

    var description: String { "TCPSocket(fd \(fileDescriptor), \(remoteAddress))" }

    /// Whether ``close()`` was called.
    var isClosed: Bool { closed.load(ordering: .acquiring) }

    // MARK: - Connect

    /// Resolves `host` and connects to the first address that accepts, trying IPv6 and IPv4 addresses in the
    /// order `getaddrinfo` returns them, all within one deadline of `timeout` seconds.
    ///
    /// The DNS lookup itself is bounded by the resolver's own timeouts (`getaddrinfo` cannot be interrupted);
    /// its time counts against the deadline.
    /// - Throws: ``TLSError/network(step:reason:)`` (`.resolve` or `.connect`) or ``TLSError/timedOut(_:)``.
    ///
    /// `observer`, when given, hears the steps as they happen (``TLSEvent/nameResolved(host:addresses:duration:)``,
    /// ``TLSEvent/tcpConnecting(remote:state:)``, ``TLSEvent/tcpEstablished(_:)``).
    static func connect(
        host: String, port: UInt16, timeout: Double, observer: ((TLSEvent) -> Void)? = nil
    ) throws(TLSError) -> TCPSocket {
        let start = Deadline.now
        let deadline = Deadline.after(seconds: timeout)
        let addresses = try resolve(host: host, port: port)
        observer?(.nameResolved(host: host, addresses: addresses.map(\.description), duration: Deadline.now.duration(since: start)))
        let label = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return try connect(to: addresses, label: label, timeout: timeout, start: start, deadline: deadline, observer: observer)
    }

    /// Connects to a parsed ``Endpoint``.
    static func connect(to endpoint: Endpoint, timeout: Double) throws(TLSError) -> TCPSocket {
        try connect(host: endpoint.host, port: endpoint.port, timeout: timeout)
    }

    /// `getaddrinfo(host, port, AF_UNSPEC, SOCK_STREAM)`, in the resolver's order. With `numericOnly`
    /// (`AI_NUMERICHOST`), only an IP literal is accepted and no lookup is made: the call does not block.
    static func resolve(host: String, port: UInt16, numericOnly: Bool = false) throws(TLSError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        hints.ai_flags = AI_NUMERICSERV | (numericOnly ? AI_NUMERICHOST : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0 else {
            let message = rc == EAI_SYSTEM ? errnoMessage(errno) : String(cString: gai_strerror(rc))
            throw TLSError.network(step: .resolve, reason: "\(host): \(message)")
        }
        defer { freeaddrinfo(list) }
        var result: [SocketAddress] = []
        var node = list
        while let info = node {
            if let sa = info.pointee.ai_addr,
               let address = SocketAddress(sa, length: info.pointee.ai_addrlen, socketProtocol: info.pointee.ai_protocol) {
                result.append(address)
            }
            node = info.pointee.ai_next
        }
        guard !result.isEmpty else {
            throw TLSError.network(step: .resolve, reason: "\(host): no IPv4 or IPv6 address")
        }
        return result
    }

    /// Tries `addresses` in order until one connects; every attempt waits only for what is left of `deadline`.
    /// `label` (`host:port`) and `timeout` only feed the error messages.
    static func connect(
        to addresses: [SocketAddress], label: String, timeout: Double,
        start: Deadline = .now, deadline: Deadline, observer: ((TLSEvent) -> Void)? = nil
    ) throws(TLSError) -> TCPSocket {
        var failures: [String] = []
        for address in addresses {
            if deadline.hasPassed() { break }
            switch attempt(address, deadline: deadline, observer: observer) {
            case .connected(let fd):
                if let observer, let info = TCPObservation.info(fd: fd) { observer(.tcpEstablished(info)) }
                return TCPSocket(
                    fileDescriptor: fd, remoteAddress: address.description,
                    connectDuration: Deadline.now.duration(since: start))
            case .failed(let reason):
                failures.append("\(address): \(reason)")
            case .timedOut:
                throw TLSError.timedOut("TCP connect to \(label) after \(formatSeconds(timeout)) s")
            }
        }
        throw connectFailure(failures, label: label, timeout: timeout)
    }

    private enum Attempt {
        case connected(Int32)
        case failed(String)
        case timedOut
    }

    private static func attempt(_ address: SocketAddress, deadline: Deadline, observer: ((TLSEvent) -> Void)?) -> Attempt {
        let fd: Int32
        switch startConnect(address, observer: observer) {
        case .connected(let connected): return .connected(connected)
        case .failed(let reason): return .failed(reason)
        case .inProgress(let pending): fd = pending
        }
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while true {
            let n = poll(&pfd, 1, deadline.pollTimeoutMilliseconds())
            if n < 0 {
                if errno == EINTR { continue }
                _ = Glibc.close(fd)
                return .failed("poll: " + errnoMessage(errno))
            }
            if n == 0 {
                if deadline.hasPassed() {
                    _ = Glibc.close(fd)
                    return .timedOut
                }
                continue
            }
            break
        }
        if let reason = finishConnect(fd) { return .failed(reason) }
        return .connected(fd)
    }

    /// How a non-blocking connect began.
    enum ConnectStart {
        /// Connected at once (`TCP_NODELAY` set): the descriptor is the caller's.
        case connected(Int32)
        /// The SYN is out: wait until the descriptor is writable, then ``finishConnect(_:)``. The caller closes
        /// the descriptor if it gives up.
        case inProgress(Int32)
        /// Nothing to close.
        case failed(String)
    }

    /// Creates a non-blocking socket for `address` and starts connecting it.
    static func startConnect(_ address: SocketAddress, observer: ((TLSEvent) -> Void)?) -> ConnectStart {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(address.family, type, address.socketProtocol)
        guard fd >= 0 else { return .failed("socket: " + errnoMessage(errno)) }
        let rc = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if rc == 0 {
            setNoDelay(fd)
            return .connected(fd)
        }
        let err = errno
        // A non-blocking connect continues in the background after EINTR, like EINPROGRESS.
        guard err == EINPROGRESS || err == EINTR else {
            _ = Glibc.close(fd)
            return .failed(errnoMessage(err))
        }
        if let observer {
            // The SYN is out: the socket's state before the answer (SYN_SENT; on loopback it may already be
            // ESTABLISHED).
            observer(.tcpConnecting(remote: address.description, state: TCPObservation.state(fd: fd) ?? "?"))
        }
        return .inProgress(fd)
    }

    /// Whether a connect in progress is still going: `true` until the descriptor is writable (a wake-up that came
    /// early, or was meant for an earlier file with the same number, is told apart this way).
    static func isConnecting(_ fd: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&pfd, 1, 0) == 0
    }

    /// The result of a connect that was in progress, once the descriptor is writable: `nil` when connected
    /// (`TCP_NODELAY` set), else why not — and then the descriptor has been closed.
    static func finishConnect(_ fd: Int32) -> String? {
        var soError: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        var failure: String?
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len) != 0 {
            failure = "getsockopt(SO_ERROR): " + errnoMessage(errno)
        } else if soError != 0 {
            failure = errnoMessage(soError)
        }
        if let failure {
            _ = Glibc.close(fd)
            return failure
        }
        setNoDelay(fd)
        return nil
    }

    /// Handshake flights are small and latency-bound: send them at once.
    private static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// A socket connected by ``startConnect(_:observer:)`` (and ``finishConnect(_:)``); closed in `deinit`.
    static func connected(fileDescriptor: Int32, remoteAddress: String, connectDuration: Duration) -> TCPSocket {
        TCPSocket(fileDescriptor: fileDescriptor, remoteAddress: remoteAddress, connectDuration: connectDuration)
    }

    /// The error for a connect that got through none of `failures` (`address: reason`), within `timeout` seconds.
    static func connectFailure(_ failures: [String], label: String, timeout: Double) -> TLSError {
        if failures.isEmpty {
            // Either no address, or the deadline passed before the first attempt (e.g. during DNS).
            return TLSError.timedOut("TCP connect to \(label) after \(formatSeconds(timeout)) s")
        }
        return TLSError.network(step: .connect, reason: failures.joined(separator: "; "))
    }

    // MARK: - I/O

    /// Appends up to `maxCount` bytes to `buffer`, waiting until `deadline` for data.
    /// - Returns: the number of bytes appended; 0 means the peer closed its side (EOF).
    /// - Throws: ``TLSError/timedOut(_:)``, ``TLSError/closed`` after ``close()``, or
    ///   ``TLSError/network(step:reason:)`` with step `.read` (`connection reset by peer` for an RST).
    func read(into buffer: inout [UInt8], maxCount: Int, deadline: Deadline) throws(TLSError) -> Int {
        precondition(maxCount > 0, "maxCount must be positive")
        // Read into scratch space, then append only what arrived (a memcpy): growing `buffer` by `maxCount`
        // zeros first would cost a fill per read.
        let result = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxCount) { scratch -> Result<Int, TLSError> in
            do throws(TLSError) {
                let n = try read(into: UnsafeMutableRawBufferPointer(scratch), deadline: deadline)
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<n]))
                return .success(n)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Reads up to `destination.count` bytes into `destination`, waiting until `deadline` for data.
    /// - Returns: the number of bytes read; 0 means EOF (or an empty `destination`).
    func read(into destination: UnsafeMutableRawBufferPointer, deadline: Deadline) throws(TLSError) -> Int {
        while true {
            if let n = try readNow(into: destination) { return n }
            try wait(for: Int16(POLLIN), deadline: deadline, what: "read from")
        }
    }

    /// Reads what is there without waiting: the byte count (0 at EOF or for an empty `destination`), or `nil` when
    /// nothing is there yet (wait until readable and try again).
    /// - Throws: ``TLSError/closed`` after ``close()``; ``TLSError/network(step:reason:)`` with step `.read`
    ///   (`connection reset by peer` for an RST).
    func readNow(into destination: UnsafeMutableRawBufferPointer) throws(TLSError) -> Int? {
        guard destination.count > 0 else { return 0 }
        guard !isClosed else { throw TLSError.closed }
        while true {
            // MSG_DONTWAIT: never blocks, whatever the descriptor's flags (a borrowed one keeps its own).
            let n = recv(fileDescriptor, destination.baseAddress, destination.count, Int32(MSG_DONTWAIT))
            if n > 0 { return n }
            if n == 0 {
                // Our own shutdown also reads as EOF; report it as what it is.
                if isClosed { throw TLSError.closed }
                return 0
            }
            let err = errno
            switch err {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                return nil
            default:
                if isClosed { throw TLSError.closed }
                throw TLSError.network(step: .read, reason: errnoMessage(err))
            }
        }
    }

    /// Writes all of `bytes`, waiting until `deadline` whenever the send buffer is full.
    /// - Throws: ``TLSError/timedOut(_:)``, ``TLSError/closed`` after ``close()``, or
    ///   ``TLSError/network(step:reason:)`` with step `.write` (peer reset, broken pipe).
    func write(_ bytes: [UInt8], deadline: Deadline) throws(TLSError) {
        var result: Result<Void, TLSError> = .success(())
        bytes.withUnsafeBytes { raw in
            do throws(TLSError) { try write(raw, deadline: deadline) } catch { result = .failure(error) }
        }
        try result.get()
    }

    /// Writes all of `bytes`; see ``write(_:deadline:)-([UInt8],_)``.
    func write(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws(TLSError) {
        guard !isClosed else { throw TLSError.closed }
        guard bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {
            if let n = try writeNow(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
                offset += n
            } else {
                try wait(for: Int16(POLLOUT), deadline: deadline, what: "write to")
            }
        }
    }

    /// Sends what the socket takes now, without waiting: the byte count (at least 1 for non-empty `bytes`), or `nil`
    /// when the send buffer is full (wait until writable and try again).
    /// - Throws: ``TLSError/closed`` after ``close()``; ``TLSError/network(step:reason:)`` with step `.write`.
    func writeNow(_ bytes: UnsafeRawBufferPointer) throws(TLSError) -> Int? {
        guard !isClosed else { throw TLSError.closed }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        while true {
            // MSG_NOSIGNAL: a peer that went away gives EPIPE instead of killing the process with SIGPIPE.
            let n = send(fileDescriptor, base, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            if n >= 0 { return n }
            let err = errno
            switch err {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                return nil
            default:
                if isClosed { throw TLSError.closed }
                throw TLSError.network(step: .write, reason: errnoMessage(err))
            }
        }
    }

    /// Sends FIN: the peer reads EOF, while this side can still read. Errors (already shut, peer gone) are ignored.
    func shutdownWrite() {
        guard !isBorrowed else { return }
        _ = shutdown(fileDescriptor, Int32(SHUT_WR))
    }

    /// Shuts the connection down in both directions and wakes any read or write blocked on another thread (they
    /// throw ``TLSError/closed``). Idempotent. The descriptor is released when the object is deallocated.
    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // A borrowed descriptor is the caller's: blocked calls notice the flag within one poll slice.
        if !isBorrowed { _ = shutdown(fileDescriptor, Int32(SHUT_RDWR)) }
    }

    /// Waits with `poll` until the descriptor is ready for `events`, an error/hang-up is flagged (the following
    /// `recv`/`send` reports it), or `deadline` passes.
    private func wait(for events: Int16, deadline: Deadline, what: String) throws(TLSError) {
        var pfd = pollfd(fd: fileDescriptor, events: events, revents: 0)
        while true {
            if isClosed { throw TLSError.closed }
            var timeout = deadline.pollTimeoutMilliseconds()
            if isBorrowed, timeout < 0 || timeout > Self.borrowedPollSlice { timeout = Self.borrowedPollSlice }
            let n = poll(&pfd, 1, timeout)
            if n > 0 { return }
            if n == 0 {
                if deadline.hasPassed() { throw TLSError.timedOut("waiting to \(what) \(remoteAddress)") }
                continue
            }
            if errno == EINTR { continue }
            throw TLSError.network(step: events == Int16(POLLIN) ? .read : .write, reason: "poll: " + errnoMessage(errno))
        }
    }
}

/// `strerror` text with a lowercase first letter, to read well after a colon: `connection refused`.
func errnoMessage(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    // Glibc exports the XSI strerror_r to Swift: 0 on success, the text in `buffer`.
    let rc = strerror_r(code, &buffer, buffer.count)
    let text = rc == 0
        ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        : "errno \(code)"
    guard let first = text.first else { return "errno \(code)" }
    return first.lowercased() + text.dropFirst()
}
