/// The default ``TLSSessionCache``: in memory, bounded, expiring by ticket lifetime, single use.
///
/// Keeps at most ``ticketsPerServer`` sessions per key (OpenSSL's server sends two per connection) and at
/// most ``capacity`` keys; the least recently stored key is evicted first. Thread-safe.
public final class InMemorySessionCache: TLSSessionCache, @unchecked Sendable {
    // @unchecked Sendable: all state is guarded by `lock`.
    public let capacity: Int
    public let ticketsPerServer: Int
    private let lock = Lock()
    private var entries: [TLSSessionCacheKey: [TLSSession]] = [:]
    private var order: [TLSSessionCacheKey] = []

    /// - Parameters:
    ///   - capacity: the most servers (keys) remembered.
    ///   - ticketsPerServer: the most tickets kept per server; older ones are dropped.
    public init(capacity: Int = 256, ticketsPerServer: Int = 4) {
        precondition(capacity > 0 && ticketsPerServer > 0, "cache bounds must be positive")
        self.capacity = capacity
        self.ticketsPerServer = ticketsPerServer
    }

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
