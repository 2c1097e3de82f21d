internal import COpenSSL

/// Parsed certificates, keyed by their exact DER bytes.
///
/// Parsing a certificate (`d2i_X509`, dominated by OpenSSL 3's provider-based public-key decoders) costs
/// more than verifying a signature with it; servers send the same chain to every client, so a chain is
/// parsed once and then looked up. The key is the complete DER encoding, so a hit is exactly the
/// certificate that was sent: nothing about trust is cached here (see `OpenSSLCertificateVerifier` for
/// that). Bounded: the oldest entries are dropped past ``capacity``. Thread-safe (a libcrypto lock).
///
/// A dependency, not a singleton: the verifiers and the handshake take the cache they are given. The connection
/// layer supplies one shared by every connection of the process (`CertificateCache.shared`, in
/// `Connection/TrustStoreCache.swift`); a handshake built without one gets a small cache of its own.
final class CertificateCache: @unchecked Sendable {
    // @unchecked Sendable: `entries` and `order` are only touched with `lock` held; cached certificates
    // are only read (X509 objects may be shared read-only between threads).

    let capacity: Int
    private let lock = CryptoLock()
    private var entries: [BytesKey: X509Certificate] = [:]
    private var order: [BytesKey] = []
    private(set) var hits = 0
    private(set) var misses = 0

    init(capacity: Int) {
        precondition(capacity > 0, "cache capacity")
        self.capacity = capacity
    }

    private func withLock<R>(_ body: () -> R) -> R { lock.withLock(body) }

    /// The parsed certificate for `der`, parsed on first sight.
    /// - Throws: what ``X509Certificate/init(der:)`` throws for bytes that are not one certificate
    ///   (`bad_certificate`); failures are not cached.
    func certificate(der: [UInt8]) throws(TLSError) -> X509Certificate {
        let key = BytesKey(der)
        if let hit = withLock({ () -> X509Certificate? in
            let found = entries[key]
            if found != nil { hits += 1 } else { misses += 1 }
            return found
        }) {
            return hit
        }
        let parsed = try X509Certificate(der: der)
        return withLock {
            if let raced = entries[key] { return raced }
            entries[key] = parsed
            order.append(key)
            if order.count > capacity {
                entries[order.removeFirst()] = nil
            }
            return parsed
        }
    }

    /// Empties the cache (tests, or a caller that wants the memory back).
    func removeAll() {
        withLock {
            entries = [:]
            order = []
        }
    }

    var count: Int { withLock { entries.count } }
}

extension CertificateCache? {
    /// The parsed certificate for `der`: from the cache when there is one, parsed anew otherwise.
    func certificate(der: [UInt8]) throws(TLSError) -> X509Certificate {
        if let cache = self { return try cache.certificate(der: der) }
        return try X509Certificate(der: der)
    }
}
