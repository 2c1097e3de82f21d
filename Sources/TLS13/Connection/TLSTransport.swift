/// A byte stream a ``TLSConnection`` runs over, when it is not a socket the library connects itself or a file
/// descriptor you hand it: a stream your program already has (an SSH channel, a tunnel inside another protocol, an
/// in-memory pipe in a test). See ``TLSConnection/connect(over:serverName:port:configuration:session:earlyData:resendRejectedEarlyData:)``.
///
/// The connection calls ``read(into:timeout:)`` from the thread that reads and ``write(_:timeout:)`` from the thread
/// that writes — possibly at the same time, one call of each at most — and ``close()`` from any thread. Each call
/// must return within its `timeout` (or throw ``TLSError/timedOut(_:)``): the connection's own timeouts
/// (``TLSClientConfiguration/handshakeTimeout``, ``TLSClientConfiguration/ioTimeout``,
/// ``TLSClientConfiguration/writeTimeout``) are only as good as the transport's.
///
/// ```swift
/// final class PipeTransport: TLSTransport {
///     func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TLSError) -> Int { … }
///     func write(_ bytes: UnsafeRawBufferPointer, timeout: Duration?) throws(TLSError) { … }
///     func close() { … }
/// }
/// let connection = try TLSConnection.connect(over: PipeTransport(…), serverName: "example.com")
/// ```
public protocol TLSTransport: AnyObject, Sendable {
    /// Reads at least one byte and at most `buffer.count` bytes into `buffer`, waiting for them at most `timeout`.
    ///
    /// - Parameters:
    ///   - buffer: where to put the bytes (never empty).
    ///   - timeout: the longest wait; `nil` waits until data, the end of the stream, or ``close()``.
    /// - Returns: how many bytes were read, `1 ... buffer.count`; 0 only at the end of the stream (the peer
    ///   finished sending).
    /// - Throws: ``TLSError/timedOut(_:)`` when `timeout` passes with nothing read (the connection stays usable);
    ///   ``TLSError/closed`` after ``close()``; ``TLSError/network(step:reason:)`` (step `.read`) when the stream
    ///   fails.
    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TLSError) -> Int

    /// Writes all of `bytes`, waiting at most `timeout` in all for the other side to take them.
    ///
    /// - Parameters:
    ///   - bytes: what to send, in order.
    ///   - timeout: the longest wait for the whole write; `nil` waits as long as it takes.
    /// - Throws: ``TLSError/timedOut(_:)`` (part of the bytes may have been sent; the connection then fails);
    ///   ``TLSError/closed`` after ``close()``; ``TLSError/network(step:reason:)`` (step `.write`).
    func write(_ bytes: UnsafeRawBufferPointer, timeout: Duration?) throws(TLSError)

    /// Ends the stream: a ``read(into:timeout:)`` or ``write(_:timeout:)`` blocked on another thread must return
    /// promptly (throwing ``TLSError/closed``), and later calls throw it. Called once or more; must not block.
    func close()
}

/// Who closes a file descriptor handed to ``TLSConnection/connect(fileDescriptor:ownership:serverName:port:configuration:session:earlyData:resendRejectedEarlyData:)``.
public enum TLSDescriptorOwnership: Sendable, Hashable {
    /// The caller keeps the descriptor: the connection never closes it, never shuts it down and does not change its
    /// file status flags (it waits with `poll` and reads and writes with `MSG_DONTWAIT`). ``TLSConnection/close()``
    /// sends close_notify and stops using it; ``TLSConnection/abort()`` just stops. Afterwards the descriptor is
    /// the caller's again — to close, or to go on in plaintext (a protocol that ends TLS and continues, rare).
    /// Close it only after the connection is closed or aborted.
    case borrow
    /// The connection owns the descriptor from the call on — also when `connect` throws: it is shut down by
    /// ``TLSConnection/close()`` and ``TLSConnection/abort()`` and closed when the connection is released.
    case takeOwnership
}

/// How ``TLSConnection`` reads and writes: a socket of its own (``TCPSocket``) or a caller's ``TLSTransport``,
/// waiting until a ``Deadline``.
protocol DeadlineTransport: AnyObject, Sendable {
    func read(into destination: UnsafeMutableRawBufferPointer, deadline: Deadline) throws(TLSError) -> Int
    func write(_ bytes: [UInt8], deadline: Deadline) throws(TLSError)
    func close()
}

extension TCPSocket: DeadlineTransport {}

/// A caller's ``TLSTransport`` behind deadlines, with its answers checked (a transport that claims to have read
/// more than the buffer holds fails the connection instead of corrupting memory).
final class CustomTransport: DeadlineTransport {
    let transport: any TLSTransport

    init(_ transport: any TLSTransport) { self.transport = transport }

    private static func timeout(until deadline: Deadline) -> Duration? {
        deadline.isDistantFuture ? nil : max(.zero, deadline.duration(since: .now))
    }

    func read(into destination: UnsafeMutableRawBufferPointer, deadline: Deadline) throws(TLSError) -> Int {
        guard destination.count > 0 else { return 0 }
        let n = try transport.read(into: destination, timeout: Self.timeout(until: deadline))
        guard (0...destination.count).contains(n) else {
            throw TLSError.network(step: .read, reason: "the transport reported \(n) bytes read into a \(destination.count)-byte buffer")
        }
        return n
    }

    func write(_ bytes: [UInt8], deadline: Deadline) throws(TLSError) {
        guard !bytes.isEmpty else { return }
        var result: Result<Void, TLSError> = .success(())
        bytes.withUnsafeBytes { raw in
            do throws(TLSError) {
                try transport.write(raw, timeout: Self.timeout(until: deadline))
            } catch {
                result = .failure(error)
            }
        }
        try result.get()
    }

    func close() { transport.close() }
}
