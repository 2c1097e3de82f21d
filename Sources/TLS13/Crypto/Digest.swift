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
final class TranscriptHash {
    let algorithm: HashAlgorithm
    private let ctx: OpaquePointer  // <EVP_MD_CTX>

    init(_ algorithm: HashAlgorithm) throws(TLSError) {
        self.algorithm = algorithm
        ctx = try checkNotNull(EVP_MD_CTX_new(), "EVP_MD_CTX_new")
        guard EVP_DigestInit_ex2(ctx, algorithm.md, nil) == 1 else {
            EVP_MD_CTX_free(ctx)
            throw openSSLError("EVP_DigestInit_ex2")
        }
    }

    private init(copying other: TranscriptHash) throws(TLSError) {
        algorithm = other.algorithm
        ctx = try checkNotNull(EVP_MD_CTX_new(), "EVP_MD_CTX_new")
        guard EVP_MD_CTX_copy_ex(ctx, other.ctx) == 1 else {
            EVP_MD_CTX_free(ctx)
            throw openSSLError("EVP_MD_CTX_copy_ex")
        }
    }

    deinit { EVP_MD_CTX_free(ctx) }

    /// Appends bytes to the transcript.
    func update(_ data: [UInt8]) {
        update(data[...])
    }

    /// Appends bytes to the transcript.
    func update(_ data: ArraySlice<UInt8>) {
        guard !data.isEmpty else { return }
        let rc = data.withUnsafeBytes { EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
        // EVP_DigestUpdate on an initialised software digest cannot fail short of memory corruption.
        precondition(rc == 1, "EVP_DigestUpdate failed")
    }

    /// The hash of everything so far; the transcript continues unchanged.
    func current() throws(TLSError) -> [UInt8] {
        let copy = try TranscriptHash(copying: self)
        var out = [UInt8](repeating: 0, count: algorithm.length)
        var len: UInt32 = 0
        let rc = out.withUnsafeMutableBytes { EVP_DigestFinal_ex(copy.ctx, $0.baseAddress, &len) }
        try check(rc, "EVP_DigestFinal_ex")
        return out
    }

    /// An independent copy of this transcript state.
    func copy() throws(TLSError) -> TranscriptHash {
        try TranscriptHash(copying: self)
    }
}
