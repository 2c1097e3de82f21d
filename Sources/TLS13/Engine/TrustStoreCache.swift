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
/// file's device, inode, size and modification time with those it was loaded from (one `stat` per file per
/// connection). The system store is built once per process (`SSL_CERT_FILE` / `SSL_CERT_DIR` are read then).
/// Stores built from other values (bytes in memory, combinations) are kept for the newest
/// ``maxKeptStores`` values.
///
/// Each store owns its verified-chain caches (``VerifiedChainCache``, one per lifetime): a store built anew
/// starts with empty caches, so a chain verified against an old trust store is never accepted from the cache
/// after the roots changed.
enum TrustStoreCache {
    private static let lock = Lock()

    /// How many stores built from values other than ``TLSClientConfiguration/TrustRoots/system`` are kept.
    static let maxKeptStores = 32
    /// How deep ``TLSClientConfiguration/TrustRoots/combined(_:)`` may nest.
    static let maxNesting = 8

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
        /// The files the store was built from, as they were then (`nil`: could not be read).
        let identity: [FileIdentity?]
        var chainCaches: [Int64: VerifiedChainCache] = [:]  // by lifetime in seconds; guarded by `lock`

        init(store: X509TrustStore, identity: [FileIdentity?]) {
            self.store = store
            self.identity = identity
        }
    }

    nonisolated(unsafe) private static var entries: [TLSClientConfiguration.TrustRoots: Entry] = [:]  // guarded by `lock`
    nonisolated(unsafe) private static var order: [TLSClientConfiguration.TrustRoots] = []  // oldest first; guarded by `lock`
    nonisolated(unsafe) private static var systemEntry: Entry?  // guarded by `lock`

    private static func entry(for roots: TLSClientConfiguration.TrustRoots) throws(TLSError) -> Entry {
        if roots == .system {
            let store = try X509TrustStore.system()
            return lock.withLock {
                if let entry = systemEntry { return entry }
                let entry = Entry(store: store, identity: [])
                systemEntry = entry
                return entry
            }
        }
        var paths: [String] = []
        try collectFiles(roots, into: &paths, depth: 0)
        let identity = paths.map(FileIdentity.init(path:))
        return try lock.withLock { () throws(TLSError) -> Entry in
            if let entry = entries[roots], entry.identity == identity, !identity.contains(nil) { return entry }
            let entry = Entry(store: try build(roots), identity: identity)
            if entries.updateValue(entry, forKey: roots) == nil { order.append(roots) }
            if order.count > maxKeptStores { entries[order.removeFirst()] = nil }
            return entry
        }
    }

    /// The CA files `roots` names, in order.
    private static func collectFiles(
        _ roots: TLSClientConfiguration.TrustRoots, into paths: inout [String], depth: Int
    ) throws(TLSError) {
        guard depth <= maxNesting else {
            throw TLSError.invalidConfiguration("trust roots nest more than \(maxNesting) levels deep")
        }
        switch roots {
        case .pemFile(let path): paths.append(path)
        case .combined(let parts): for part in parts { try collectFiles(part, into: &paths, depth: depth + 1) }
        case .system, .pem, .der: break
        }
    }

    /// A new store for `roots` (not `.system` alone, which is shared).
    private static func build(_ roots: TLSClientConfiguration.TrustRoots) throws(TLSError) -> X509TrustStore {
        var system = false
        var certificates: [X509Certificate] = []
        try collect(roots, system: &system, certificates: &certificates)
        return system
            ? try X509TrustStore(systemDefaultsAnd: certificates) : try X509TrustStore(certificates: certificates)
    }

    private static func collect(
        _ roots: TLSClientConfiguration.TrustRoots, system: inout Bool, certificates: inout [X509Certificate]
    ) throws(TLSError) {
        switch roots {
        case .system:
            system = true
        case .pemFile(let path):
            certificates += try PEM.certificates(fromFile: path)
        case .pem(let text):
            certificates += try PEM.certificates(fromPEM: text)
        case .der(let list):
            guard !list.isEmpty else { throw TLSError.invalidConfiguration("trust roots .der([]) hold no certificate") }
            for (index, der) in list.enumerated() {
                do throws(TLSError) {
                    certificates.append(try X509Certificate(der: der))
                } catch {
                    throw TLSError.invalidConfiguration("trusted root \(index) is not a DER certificate: \(error)")
                }
            }
        case .combined(let parts):
            guard !parts.isEmpty else { throw TLSError.invalidConfiguration("trust roots .combined([]) name no roots") }
            for part in parts { try collect(part, system: &system, certificates: &certificates) }
        }
    }

    static func store(for roots: TLSClientConfiguration.TrustRoots) throws(TLSError) -> X509TrustStore {
        try entry(for: roots).store
    }

    /// The certificate verifier for a configuration, or `nil` when verification is disabled. With
    /// ``TLSClientConfiguration/verifiedChainCacheLifetime`` set, one ``VerifiedChainCache`` per trust store
    /// and lifetime is shared by every connection.
    ///
    /// With ``TLSClientConfiguration/pinnedPublicKeys``, the verifier checks the pins after the chain (on top of the
    /// verified-chain cache, whose hits carry the verified path).
    static func verifier(for configuration: TLSClientConfiguration) throws(TLSError) -> CertificateVerifier? {
        guard configuration.verifyCertificates else { return nil }
        let entry = try entry(for: configuration.trustRoots)
        let base = OpenSSLCertificateVerifier(trustStore: entry.store, certificates: .shared)
        let verifier: any CertificateVerifier
        if let lifetime = configuration.verifiedChainCacheLifetime, lifetime > 0 {
            let seconds = lifetime >= Double(Int64.max / 2) ? Int64.max / 2 : Int64(lifetime.rounded(.up))
            verifier = lock.withLock {
                if let cache = entry.chainCaches[seconds] { return cache }
                let cache = VerifiedChainCache(inner: base, lifetime: seconds)
                entry.chainCaches[seconds] = cache
                return cache
            }
        } else {
            verifier = base
        }
        guard !configuration.pinnedPublicKeys.isEmpty else { return verifier }
        return PinnedKeyVerifier(inner: verifier, pins: Set(configuration.pinnedPublicKeys.map(\.sha256)))
    }
}

extension CertificateCache {
    /// The parsed-certificate cache every connection of the process shares (servers send the same chain every time):
    /// the connection layer hands it to the verifiers and the handshake it builds.
    static let shared = CertificateCache(capacity: 256)
}
