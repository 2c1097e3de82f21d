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

    /// The certificate verifier for a configuration, or `nil` when verification is disabled.
    static func verifier(for configuration: TLSClientConfiguration) throws(TLSError) -> CertificateVerifier? {
        guard configuration.verifyCertificates else { return nil }
        return OpenSSLCertificateVerifier(trustStore: try store(for: configuration.trustRoots))
    }
}
