/// The key-exchange group each server chose last time, so the next ClientHello to it sends that one key share
/// instead of the configured ones (rustls keeps the same hint beside its session store).
///
/// The default configuration has one (``TLSClientConfiguration/keyShareHints``), and copies of a configuration
/// share it, so a program that makes many connections with one configuration pays for a share the server never
/// uses only once per server. Remembered per server name (as the session cache names it: SNI or IP literal)
/// and port, after a handshake that completed; at most ``capacity`` servers, the least recently updated
/// forgotten first. Thread-safe.
///
/// What it changes, and what it does not: supported_groups still lists every configured group in the configured
/// order, so a server that prefers another group (the post-quantum hybrid, say) can still ask for it with a
/// HelloRetryRequest, and the hint follows whatever the server chose. A hint for a group the configuration no
/// longer offers is ignored. It never touches certificate verification (VerdictMatrixTests crosses it with every
/// bad certificate). The one trade-off, as in rustls: a server that took x25519 over an offered X25519MLKEM768
/// share is not sent a hybrid share again while the hint lasts; if it later adds the hybrid but still accepts
/// x25519 without a HelloRetryRequest, it keeps getting x25519 until the hint is forgotten. Set
/// ``TLSClientConfiguration/keyShareHints`` to `nil` to always send ``TLSClientConfiguration/keyShareGroups``.
public final class TLSKeyShareHints: @unchecked Sendable {
    // @unchecked Sendable: `groups` and `order` are only touched with `lock` held.
    private struct Server: Hashable {
        var name: String
        var port: UInt16
    }

    /// The most servers remembered.
    public let capacity: Int
    private let lock = CryptoLock()
    private var groups: [Server: NamedGroup] = [:]
    private var order: [Server] = []

    /// A store for at most 256 servers.
    public convenience init() {
        self.init(validCapacity: 256)
    }

    /// A store for at most `capacity` servers.
    ///
    /// - Parameter capacity: the most servers remembered, at least 1.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when `capacity` is below 1.
    public convenience init(capacity: Int) throws(TLSError) {
        guard capacity > 0 else {
            throw TLSError.invalidConfiguration("key share hints capacity must be at least 1, not \(capacity)")
        }
        self.init(validCapacity: capacity)
    }

    private init(validCapacity: Int) {
        capacity = validCapacity
    }

    /// The group `serverName`:`port` chose in its last completed handshake, if remembered.
    public func group(forServer serverName: String, port: UInt16) -> NamedGroup? {
        lock.withLock { groups[Server(name: serverName, port: port)] }
    }

    /// Remembers that `serverName`:`port` chose `group`.
    public func remember(_ group: NamedGroup, forServer serverName: String, port: UInt16) {
        let server = Server(name: serverName, port: port)
        lock.withLock {
            if groups.updateValue(group, forKey: server) != nil { order.removeAll { $0 == server } }
            order.append(server)
            while order.count > capacity { groups[order.removeFirst()] = nil }
        }
    }

    /// How many servers are remembered.
    public var count: Int { lock.withLock { groups.count } }

    /// Forgets every server.
    public func removeAll() {
        lock.withLock {
            groups = [:]
            order = []
        }
    }
}
