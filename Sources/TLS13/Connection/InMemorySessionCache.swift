/// The default ``TLSSessionCache``: in memory, bounded, expiring by ticket lifetime, single use.
///
/// Keeps at most ``ticketsPerServer`` sessions per key (OpenSSL's server sends two per connection) and at
/// most ``capacity`` keys; the least recently stored key is evicted first. Thread-safe.
public final class InMemorySessionCache: TLSSessionCache, @unchecked Sendable {
    // @unchecked Sendable: all state is guarded by `lock`.
    /// The most servers (keys) remembered.
    public let capacity: Int
    /// The most tickets kept per server.
    public let ticketsPerServer: Int
    private let lock = Lock()
    private var entries: [TLSSessionCacheKey: [TLSSession]] = [:]
    private var order: [TLSSessionCacheKey] = []

    /// A cache of at most 256 servers and 4 tickets per server.
    public convenience init() {
        self.init(validCapacity: 256, ticketsPerServer: 4)
    }

    /// A cache with the given bounds.
    ///
    /// - Parameters:
    ///   - capacity: the most servers (keys) remembered, at least 1.
    ///   - ticketsPerServer: the most tickets kept per server, at least 1; older ones are dropped.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when a bound is below 1.
    public convenience init(capacity: Int, ticketsPerServer: Int = 4) throws(TLSError) {
        guard capacity > 0, ticketsPerServer > 0 else {
            throw TLSError.invalidConfiguration(
                "session cache bounds must be at least 1 (capacity \(capacity), tickets per server \(ticketsPerServer))")
        }
        self.init(validCapacity: capacity, ticketsPerServer: ticketsPerServer)
    }

    private init(validCapacity capacity: Int, ticketsPerServer: Int) {
        self.capacity = capacity
        self.ticketsPerServer = ticketsPerServer
    }

    /// Keeps `session` for `key` (dropping the oldest beyond the bounds).
    public func store(_ session: TLSSession, for key: TLSSessionCacheKey) {
        lock.withLock {
            var list = entries[key] ?? []
            list.append(session)
            if list.count > ticketsPerServer { list.removeFirst(list.count - ticketsPerServer) }
            entries[key] = list
            order.removeAll { $0 == key }
            order.append(key)
            while order.count > capacity {
                entries[order.removeFirst()] = nil
            }
        }
    }

    public func take(for key: TLSSessionCacheKey, atMilliseconds now: Int64) -> TLSSession? {
        lock.withLock {
            guard var list = entries[key] else { return nil }
            list.removeAll { !$0.isValid(atMilliseconds: now) }
            let newest = list.popLast()
            entries[key] = list.isEmpty ? nil : list
            if list.isEmpty { order.removeAll { $0 == key } }
            return newest
        }
    }

    /// How many sessions are held for `key` (expired ones included until the next `take`).
    public func count(for key: TLSSessionCacheKey) -> Int {
        lock.withLock { entries[key]?.count ?? 0 }
    }
}
