internal import COpenSSL

/// The trust anchors for server certificate validation (libcrypto `X509_STORE`).
///
/// Build it once and share it between connections: either the system's default locations
/// (``system()``; `SSL_CERT_FILE` / `SSL_CERT_DIR` override them, as for the `openssl` tools) or exactly the
/// certificates of one CA file (``init(caFile:)``), which replaces the system store.
///
/// `@unchecked Sendable`: the store is never modified after init, and libcrypto locks its internal lookup
/// caches, so concurrent `X509_verify_cert` calls on one store are safe.
final class X509TrustStore: @unchecked Sendable {
    let pointer: OpaquePointer  // <X509_STORE>

    private init() throws(TLSError) {
        pointer = try checkNotNull(X509_STORE_new(), "X509_STORE_new")
    }

    deinit { X509_STORE_free(pointer) }

    /// Trusts exactly `certificates` (e.g. a test root).
    convenience init(certificates: [X509Certificate]) throws(TLSError) {
        try self.init()
        for certificate in certificates {
            try check(X509_STORE_add_cert(pointer, certificate.pointer), "X509_STORE_add_cert")
        }
    }

    /// Trusts the system's default locations (as ``system()``) and `certificates` besides.
    convenience init(systemDefaultsAnd certificates: [X509Certificate]) throws(TLSError) {
        try self.init(certificates: certificates)
        try check(X509_STORE_set_default_paths(pointer), "X509_STORE_set_default_paths")
    }

    /// Trusts exactly the certificates in the PEM file at `path` (not the system store).
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when the file is unreadable, malformed or empty.
    convenience init(caFile path: String) throws(TLSError) {
        try self.init(certificates: try PEM.certificates(fromFile: path))
    }

    /// The system default trust store (`X509_STORE_set_default_paths`: OpenSSL's `OPENSSLDIR` cert file and
    /// directory, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set). Built on first use, then shared; the
    /// environment is read at that moment.
    static func system() throws(TLSError) -> X509TrustStore { try systemStore.get() }

    private static let systemStore: Result<X509TrustStore, TLSError> = {
        do throws(TLSError) {
            let store = try X509TrustStore()
            try check(X509_STORE_set_default_paths(store.pointer), "X509_STORE_set_default_paths")
            return .success(store)
        } catch {
            return .failure(error)
        }
    }()
}
