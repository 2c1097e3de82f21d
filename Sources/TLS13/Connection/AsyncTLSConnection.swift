/// The `async` variant of ``TLSConnection`` for Swift-concurrency callers.
///
/// No blocking system call runs on a Swift-concurrency thread: each connection owns two dedicated I/O
/// threads (one for reads, one for writes) that drive the non-blocking, `poll`-based socket, and the
/// calling task is suspended meanwhile. Cancelling a task blocked in ``read(maxCount:)``, ``write(_:)`` or
/// ``close()`` aborts the connection (``TLSConnection/abort()``), which wakes the operation with
/// ``TLSError/closed``; every wait is also bounded by the configuration's timeouts.
///
/// ```swift
/// let connection = try await AsyncTLSConnection.connect(host: "localhost", port: 4433, configuration: config)
/// try await connection.write(Array("ping".utf8))
/// let reply = try await connection.read()
/// await connection.close()
/// ```
public final class AsyncTLSConnection: Sendable {
    /// The underlying blocking connection (its properties are safe to read from any thread).
    public let connection: TLSConnection
    private let reader: IOThread
    private let writer: IOThread

    private init(connection: TLSConnection, reader: IOThread) {
        self.connection = connection
        self.reader = reader
        self.writer = IOThread()
    }

    /// Connects and performs the handshake; see ``TLSConnection/connect(host:port:configuration:session:earlyData:resendRejectedEarlyData:)``.
    public static func connect(
        host: String, port: UInt16, configuration: TLSClientConfiguration = TLSClientConfiguration()
    ) async throws(TLSError) -> AsyncTLSConnection {
        let reader = IOThread()
        let connection = try await reader.run { () throws(TLSError) in
            try TLSConnection.connect(host: host, port: port, configuration: configuration)
        }
        return AsyncTLSConnection(connection: connection, reader: reader)
    }

    /// Connects to `host:port`, `[v6]:port` or a bare host; see ``TLSConnection/connect(to:defaultPort:configuration:session:earlyData:resendRejectedEarlyData:)``.
    public static func connect(
        to address: String, defaultPort: UInt16 = 443, configuration: TLSClientConfiguration = TLSClientConfiguration()
    ) async throws(TLSError) -> AsyncTLSConnection {
        let reader = IOThread()
        let connection = try await reader.run { () throws(TLSError) in
            try TLSConnection.connect(to: address, defaultPort: defaultPort, configuration: configuration)
        }
        return AsyncTLSConnection(connection: connection, reader: reader)
    }

    /// Reads application data; an empty array means the server closed cleanly (close_notify).
    public func read(maxCount: Int = 1 << 14) async throws(TLSError) -> [UInt8] {
        let connection = self.connection
        let result: Result<[UInt8], TLSError> = await withTaskCancellationHandler {
            do throws(TLSError) {
                return .success(try await reader.run { () throws(TLSError) in try connection.read(maxCount: maxCount) })
            } catch {
                return .failure(error)
            }
        } onCancel: {
            connection.abort()
        }
        return try result.get()
    }

    /// Encrypts and sends `bytes`. Cancelling the task aborts the connection (the write throws
    /// ``TLSError/closed``); ``TLSClientConfiguration/writeTimeout`` bounds the wait for a peer that stops reading.
    public func write(_ bytes: [UInt8]) async throws(TLSError) {
        let connection = self.connection
        let result: Result<Void, TLSError> = await withTaskCancellationHandler {
            if Task.isCancelled {
                connection.abort()
                return .failure(.closed)
            }
            do throws(TLSError) {
                return .success(try await writer.run { () throws(TLSError) in try connection.write(bytes) })
            } catch {
                return .failure(error)
            }
        } onCancel: {
            connection.abort()
        }
        try result.get()
    }

    /// Sends close_notify; reading continues until the server closes.
    public func closeWrite() async throws(TLSError) {
        let connection = self.connection
        try await writer.run { () throws(TLSError) in try connection.closeWrite() }
    }

    /// Sends close_notify and closes the TCP connection; returns within ``TLSConnection/closeTimeout`` (see
    /// ``TLSConnection/close()``). Cancelling the task closes the connection at once, without close_notify.
    public func close() async {
        let connection = self.connection
        if Task.isCancelled {
            connection.abort()
            return
        }
        // Not on the writer thread: close must not queue behind a write stuck on a peer that stopped reading.
        let closer = IOThread()
        await withTaskCancellationHandler {
            _ = try? await closer.run { () throws(TLSError) in connection.close() }
        } onCancel: {
            connection.abort()
        }
    }

    /// See ``TLSConnection/updateKeys(requestPeerUpdate:)``.
    public func updateKeys(requestPeerUpdate: Bool) async throws(TLSError) {
        let connection = self.connection
        try await writer.run { () throws(TLSError) in try connection.updateKeys(requestPeerUpdate: requestPeerUpdate) }
    }
}
