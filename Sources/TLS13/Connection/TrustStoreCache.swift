/// Trust stores, built once per ``TLSClientConfiguration/TrustRoots`` value and shared by every connection
/// (building an `X509_STORE` from a file costs more than a whole handshake's crypto).
///
/// A CA file is read the first time it is named; later changes to the file are not picked up by this
/// process.
enum TrustStoreCache {
    private static let lock = Lock()
    nonisolated(unsafe) private static var stores: [String: X509TrustStore] = [:]  // guarded by `lock`

    static func store(for roots: TLSClientConfiguration.TrustRoots) throws(TLSError) -> X509TrustStore {
        switch roots {
        case .system:
            return try X509TrustStore.system()
        case .pemFile(let path):
            return try lock.withLock { () throws(TLSError) -> X509TrustStore in
                if let store = stores[path] { return store }
                let store = try X509TrustStore(caFile: path)
                stores[path] = store
                return store
            }
        }
    }

    nonisolated(unsafe) private static var chainCaches: [String: VerifiedChainCache] = [:]  // guarded by `lock`

    /// The certificate verifier for a configuration, or `nil` when verification is disabled. With
    /// ``TLSClientConfiguration/verifiedChainCacheLifetime`` set, one ``VerifiedChainCache`` per trust roots
    /// and lifetime is shared by every connection.
    static func verifier(for configuration: TLSClientConfiguration) throws(TLSError) -> CertificateVerifier? {
        guard configuration.verifyCertificates else { return nil }
        let base = OpenSSLCertificateVerifier(trustStore: try store(for: configuration.trustRoots))
        guard let lifetime = configuration.verifiedChainCacheLifetime, lifetime > 0 else { return base }
        let key = "\(configuration.trustRoots)|\(lifetime)"
        return lock.withLock {
            if let cache = chainCaches[key] { return cache }
            let cache = VerifiedChainCache(inner: base, lifetime: Int64(lifetime.rounded(.up)))
            chainCaches[key] = cache
            return cache
        }
    }
}
