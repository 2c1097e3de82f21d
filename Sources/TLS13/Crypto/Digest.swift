internal import COpenSSL

/// The hash function of a TLS 1.3 cipher suite.
enum HashAlgorithm: Sendable, Hashable {
    case sha256
    case sha384

    /// Output length in bytes (`Hash.length` in RFC 8446).
    var length: Int {
        switch self {
        case .sha256: return 32
        case .sha384: return 48
        }
    }

    /// The OpenSSL algorithm name, for `EVP_MD_fetch` and the HMAC `digest` parameter.
    var openSSLName: String {
        switch self {
        case .sha256: return "SHA256"
        case .sha384: return "SHA384"
        }
    }

    /// The fetched `EVP_MD`, looked up once per process (OpenSSL 3's per-call lookup is costly).
    var md: OpaquePointer {  // <EVP_MD>
        switch self {
        case .sha256: return FetchedAlgorithms.sha256
        case .sha384: return FetchedAlgorithms.sha384
        }
    }

    /// One-shot hash.
    func hash(_ data: [UInt8]) throws(TLSError) -> [UInt8] {
        let t = try TranscriptHash(self)
        t.update(data)
        return try t.current()
    }

    /// `Hash("")`, used by Derive-Secret's "derived" steps.
    func emptyHash() throws(TLSError) -> [UInt8] { try hash([]) }
}

/// Algorithms fetched from the default provider once per process.
///
/// `nonisolated(unsafe)`: fetched `EVP_MD`/`EVP_CIPHER`/`EVP_MAC` objects are immutable and may be
/// shared across threads (OpenSSL 3 documents them as thread-safe once fetched); they are never freed.
enum FetchedAlgorithms {
    nonisolated(unsafe) static let sha256: OpaquePointer = fetchMD("SHA256")
    nonisolated(unsafe) static let sha384: OpaquePointer = fetchMD("SHA384")
    nonisolated(unsafe) static let hmac: OpaquePointer = {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else {
            preconditionFailure(openSSLErrorString("EVP_MAC_fetch(HMAC): libcrypto has no HMAC"))
        }
        return mac
    }()

    private static func fetchMD(_ name: String) -> OpaquePointer {
        guard let md = EVP_MD_fetch(nil, name, nil) else {
            preconditionFailure(openSSLErrorString("EVP_MD_fetch(\(name)): libcrypto has no \(name)"))
        }
        return md
    }
}

/// An incremental hash over the handshake transcript, copyable mid-stream (RFC 8446 §4.4.1).
///
/// A plain SHA state (`COpenSSL_SHA_CTX`, libcrypto's block functions; see shim.h): a snapshot for
/// ``current()`` is a struct copy, where an `EVP_MD_CTX` copy allocates a provider context.
final class TranscriptHash {
    let algorithm: HashAlgorithm
    private let state: UnsafeMutablePointer<COpenSSL_SHA_CTX>

    init(_ algorithm: HashAlgorithm) throws(TLSError) {
        self.algorithm = algorithm
        state = .allocate(capacity: 1)
        state.initialize(to: COpenSSL_SHA_CTX())
        COpenSSL_SHA_init(state, algorithm == .sha384 ? 1 : 0)
    }

    private init(copying other: TranscriptHash) {
        algorithm = other.algorithm
        state = .allocate(capacity: 1)
        state.initialize(to: other.state.pointee)
    }

    deinit { state.deallocate() }

    /// Appends bytes to the transcript.
    func update(_ data: [UInt8]) {
        update(data[...])
    }

    /// Appends bytes to the transcript.
    func update(_ data: ArraySlice<UInt8>) {
        guard !data.isEmpty else { return }
        data.withUnsafeBytes { COpenSSL_SHA_update(state, $0.baseAddress, $0.count) }
    }

    /// The hash of everything so far; the transcript continues unchanged.
    func current() throws(TLSError) -> [UInt8] {
        var snapshot = state.pointee
        return [UInt8](unsafeUninitializedCapacity: algorithm.length) { out, initialized in
            COpenSSL_SHA_final(&snapshot, out.baseAddress)
            initialized = algorithm.length
        }
    }

    /// An independent copy of this transcript state.
    func copy() throws(TLSError) -> TranscriptHash {
        TranscriptHash(copying: self)
    }
}
