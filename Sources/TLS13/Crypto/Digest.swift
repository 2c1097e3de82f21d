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

/// Which implementation the SHA-256/384 states of ``TranscriptHash`` and ``HMAC`` use (shim.h).
enum DigestBackend: Sendable, Equatable {
    /// libcrypto's low-level `SHA256_*` / `SHA384_*` functions (deprecated in OpenSSL 3.0, still exported): a
    /// state is a plain struct, several times cheaper than EVP on a key schedule's short inputs.
    case lowLevel
    /// `EVP_Digest*` on an owned `EVP_MD_CTX`: the only one when libcrypto is used without its deprecated API.
    case evp

    /// Whether this build has the low-level functions (not when compiled with `OPENSSL_NO_DEPRECATED_3_0`).
    static let lowLevelAvailable = COpenSSL_SHA_lowlevel_available() == 1

    /// The backend new states use: low-level where it exists, unless the environment variable
    /// `TLS13_DIGEST_BACKEND=evp` asks for EVP (read once; `Scripts/check-openssl-no-deprecated.sh` runs the RFC 4231
    /// and RFC 8448 tests both ways with it). Both compute the same function: the choice changes only speed.
    static let current: DigestBackend = {
        guard lowLevelAvailable else { return .evp }
        guard let value = getenv("TLS13_DIGEST_BACKEND") else { return .lowLevel }
        return String(cString: value) == "evp" ? .evp : .lowLevel
    }()

    var useEVP: Int32 { self == .evp ? 1 : 0 }
}

/// An incremental hash over the handshake transcript, copyable mid-stream (RFC 8446 §4.4.1).
///
/// A SHA state of shim.h (`COpenSSL_SHA_CTX`): with the low-level backend (``DigestBackend``) a snapshot for
/// ``current()`` is a struct copy, where an `EVP_MD_CTX` copy allocates a provider context.
final class TranscriptHash {
    let algorithm: HashAlgorithm
    private let state: UnsafeMutablePointer<COpenSSL_SHA_CTX>

    init(_ algorithm: HashAlgorithm, backend: DigestBackend = .current) throws(TLSError) {
        self.algorithm = algorithm
        state = .allocate(capacity: 1)
        state.initialize(to: COpenSSL_SHA_CTX())
        guard COpenSSL_SHA_init(state, algorithm == .sha384 ? 1 : 0, backend.useEVP) == 1 else {
            state.deallocate()
            throw openSSLError("SHA init")
        }
    }

    private init(copying other: TranscriptHash) throws(TLSError) {
        algorithm = other.algorithm
        state = .allocate(capacity: 1)
        state.initialize(to: COpenSSL_SHA_CTX())
        guard COpenSSL_SHA_copy(state, other.state) == 1 else {
            state.deallocate()
            throw openSSLError("SHA state copy")
        }
    }

    deinit {
        COpenSSL_SHA_release(state)
        state.deallocate()
    }

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
        var snapshot = COpenSSL_SHA_CTX()
        guard COpenSSL_SHA_copy(&snapshot, state) == 1 else { throw openSSLError("SHA state copy") }
        var ok: Int32 = 0
        let digest = [UInt8](unsafeUninitializedCapacity: algorithm.length) { out, initialized in
            ok = COpenSSL_SHA_final(&snapshot, out.baseAddress)  // releases the snapshot
            initialized = algorithm.length
        }
        guard ok == 1 else { throw openSSLError("SHA final") }
        return digest
    }

    /// An independent copy of this transcript state.
    func copy() throws(TLSError) -> TranscriptHash {
        try TranscriptHash(copying: self)
    }
}
