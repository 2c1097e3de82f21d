#if canImport(Glibc)
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#endif

/// Trust stores, built once per ``TLSClientConfiguration/TrustRoots`` value and shared by every connection
/// (building an `X509_STORE` from a file costs more than a whole handshake's crypto).
///
/// A CA file is read the first time it is named and read again when it changes: every lookup compares the
/// file's device, inode, size and modification time with those it was loaded from (one `stat` per
/// connection). The system store is built once per process (`SSL_CERT_FILE` / `SSL_CERT_DIR` are read then).
///
/// Each store owns its verified-chain caches (``VerifiedChainCache``, one per lifetime): a store built anew
/// starts with empty caches, so a chain verified against an old trust store is never accepted from the cache
/// after the roots changed.
enum TrustStoreCache {
    private static let lock = Lock()

    /// What a CA file looked like when it was loaded.
    private struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int64
        var modifiedNanoseconds: Int64

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modifiedSeconds = Int64(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
        }
    }

    /// A loaded store and the verified-chain caches that belong to it.
    private final class Entry {
        let store: X509TrustStore
        let identity: FileIdentity?
        var chainCaches: [Int64: VerifiedChainCache] = [:]  // by lifetime in seconds; guarded by `lock`

        init(store: X509TrustStore, identity: FileIdentity?) {
            self.store = store
            self.identity = identity
        }
    }

    nonisolated(unsafe) private static var files: [String: Entry] = [:]  // guarded by `lock`
    nonisolated(unsafe) private static var systemEntry: Entry?  // guarded by `lock`

    private static func entry(for roots: TLSClientConfiguration.TrustRoots) throws(TLSError) -> Entry {
        switch roots {
        case .system:
            let store = try X509TrustStore.system()
            return lock.withLock {
                if let entry = systemEntry { return entry }
                let entry = Entry(store: store, identity: nil)
                systemEntry = entry
                return entry
            }
        case .pemFile(let path):
            let identity = FileIdentity(path: path)
            return try lock.withLock { () throws(TLSError) -> Entry in
                if let entry = files[path], entry.identity == identity, identity != nil { return entry }
                let entry = Entry(store: try X509TrustStore(caFile: path), identity: identity)
                files[path] = entry
                return entry
            }
        }
    }

    static func store(for roots: TLSClientConfiguration.TrustRoots) throws(TLSError) -> X509TrustStore {
        try entry(for: roots).store
    }

    /// The certificate verifier for a configuration, or `nil` when verification is disabled. With
    /// ``TLSClientConfiguration/verifiedChainCacheLifetime`` set, one ``VerifiedChainCache`` per trust store
    /// and lifetime is shared by every connection.
    static func verifier(for configuration: TLSClientConfiguration) throws(TLSError) -> CertificateVerifier? {
        guard configuration.verifyCertificates else { return nil }
        let entry = try entry(for: configuration.trustRoots)
        let base = OpenSSLCertificateVerifier(trustStore: entry.store, certificates: .shared)
        guard let lifetime = configuration.verifiedChainCacheLifetime, lifetime > 0 else { return base }
        let seconds = lifetime >= Double(Int64.max / 2) ? Int64.max / 2 : Int64(lifetime.rounded(.up))
        return lock.withLock {
            if let cache = entry.chainCaches[seconds] { return cache }
            let cache = VerifiedChainCache(inner: base, lifetime: seconds)
            entry.chainCaches[seconds] = cache
            return cache
        }
    }
}

extension CertificateCache {
    /// The parsed-certificate cache every connection of the process shares (servers send the same chain every time):
    /// the connection layer hands it to the verifiers and the handshake it builds.
    static let shared = CertificateCache(capacity: 256)
}
