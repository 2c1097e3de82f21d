internal import COpenSSL

/// The AEAD algorithm of a TLS 1.3 cipher suite.
enum AEADAlgorithm: Sendable, Hashable {
    case aes128GCM
    case aes256GCM
    case chacha20Poly1305
    case aes128CCM
    case aes128CCM8

    var keyLength: Int {
        switch self {
        case .aes128GCM, .aes128CCM, .aes128CCM8: return 16
        case .aes256GCM, .chacha20Poly1305: return 32
        }
    }

    /// TLS 1.3 nonces are always 12 bytes (RFC 8446 §5.3).
    var nonceLength: Int { 12 }

    var tagLength: Int {
        switch self {
        case .aes128CCM8: return 8
        default: return 16
        }
    }

    var isCCM: Bool { self == .aes128CCM || self == .aes128CCM8 }

    /// The `EVP_CIPHER`, fetched once per process.
    var cipher: OpaquePointer {  // <EVP_CIPHER>
        switch self {
        case .aes128GCM: return FetchedCiphers.aes128GCM
        case .aes256GCM: return FetchedCiphers.aes256GCM
        case .chacha20Poly1305: return FetchedCiphers.chacha20Poly1305
        case .aes128CCM, .aes128CCM8: return FetchedCiphers.aes128CCM
        }
    }
}

/// Ciphers fetched once per process; see ``FetchedAlgorithms`` for why this is safe to share.
enum FetchedCiphers {
    nonisolated(unsafe) static let aes128GCM = fetch("AES-128-GCM")
    nonisolated(unsafe) static let aes256GCM = fetch("AES-256-GCM")
    nonisolated(unsafe) static let chacha20Poly1305 = fetch("ChaCha20-Poly1305")
    nonisolated(unsafe) static let aes128CCM = fetch("AES-128-CCM")

    private static func fetch(_ name: String) -> OpaquePointer {
        guard let c = EVP_CIPHER_fetch(nil, name, nil) else {
            preconditionFailure(openSSLErrorString("EVP_CIPHER_fetch(\(name)): libcrypto has no \(name)"))
        }
        return c
    }
}

/// Authenticated encryption for one direction of a record layer, keyed once.
///
/// The record layer reaches crypto only through this protocol, so tests and fuzzers can substitute a fake.
protocol AEADCipher: AnyObject {
    var algorithm: AEADAlgorithm { get }
    /// Encrypts `buffer[offset...]` in place and appends the tag.
    func seal(nonce: [UInt8], aad: [UInt8], buffer: inout [UInt8], from offset: Int) throws(TLSError)
    /// Decrypts `ciphertext` (ciphertext ‖ tag) into `plaintext` and returns the plaintext length
    /// (`ciphertext.count - tagLength`). `plaintext` has room for at least that many bytes; it may start at the
    /// same address as `ciphertext` (in place) but must not overlap it otherwise. Throws `bad_record_mac` when
    /// authentication fails, after zeroing whatever was written to `plaintext`.
    func open(nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer,
              into plaintext: UnsafeMutableRawBufferPointer) throws(TLSError) -> Int
}

extension AEADCipher {
    /// Decrypts `buffer[range]` (ciphertext ‖ tag) in place. Returns the plaintext length; the plaintext
    /// starts at `range.lowerBound`. Throws `bad_record_mac` when authentication fails (the whole range is zeroed).
    func open(nonce: [UInt8], aad: [UInt8], buffer: inout [UInt8], range: Range<Int>) throws(TLSError) -> Int {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "open misuse")
        let result: Result<Int, TLSError> = nonce.withUnsafeBytes { n in
            aad.withUnsafeBytes { a in
                buffer.withUnsafeMutableBytes { raw in
                    let region = UnsafeMutableRawBufferPointer(rebasing: raw[range])
                    do throws(TLSError) {
                        return .success(try open(nonce: n, aad: a, ciphertext: UnsafeRawBufferPointer(region), into: region))
                    } catch {
                        region.initializeMemory(as: UInt8.self, repeating: 0)  // the tag too, as before
                        return .failure(error)
                    }
                }
            }
        }
        return try result.get()
    }
}

/// ``AEADCipher`` on one `EVP_CIPHER_CTX`, keyed once; each record only sets a new IV.
final class EVPAEAD: AEADCipher {
    let algorithm: AEADAlgorithm
    private let sealing: Bool
    private let ctx: OpaquePointer  // <EVP_CIPHER_CTX>

    /// - Parameters:
    ///   - key: the traffic key; not retained (the context holds the expanded key schedule).
    ///   - sealing: `true` for the sending direction, `false` for receiving.
    init(_ algorithm: AEADAlgorithm, key: [UInt8], sealing: Bool) throws(TLSError) {
        precondition(key.count == algorithm.keyLength, "AEAD key length")
        self.algorithm = algorithm
        self.sealing = sealing
        ctx = try checkNotNull(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")
        do throws(TLSError) {
            let enc: Int32 = sealing ? 1 : 0
            try check(EVP_CipherInit_ex2(ctx, algorithm.cipher, nil, nil, enc, nil), "EVP_CipherInit_ex2(cipher)")
            try check(
                EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, Int32(algorithm.nonceLength), nil),
                "EVP_CTRL_AEAD_SET_IVLEN")
            if algorithm.isCCM {
                try check(
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, Int32(algorithm.tagLength), nil),
                    "EVP_CTRL_AEAD_SET_TAG(length)")
            }
            let rc = key.withUnsafeBytes {
                EVP_CipherInit_ex2(ctx, nil, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), nil, enc, nil)
            }
            try check(rc, "EVP_CipherInit_ex2(key)")
        } catch {
            EVP_CIPHER_CTX_free(ctx)
            throw error
        }
    }

    deinit { EVP_CIPHER_CTX_free(ctx) }  // also cleanses the expanded key

    private func setNonce(_ nonce: [UInt8]) throws(TLSError) {
        precondition(nonce.count == algorithm.nonceLength, "AEAD nonce length")
        let rc = nonce.withUnsafeBytes {
            EVP_CipherInit_ex2(ctx, nil, nil, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), sealing ? 1 : 0, nil)
        }
        try check(rc, "EVP_CipherInit_ex2(iv)")
    }

    private func update(_ out: UnsafeMutablePointer<UInt8>?, _ input: UnsafePointer<UInt8>?, _ count: Int) -> Bool {
        var outLength: Int32 = 0
        return EVP_CipherUpdate(ctx, out, &outLength, input, Int32(count)) == 1
    }

    func seal(nonce: [UInt8], aad: [UInt8], buffer: inout [UInt8], from offset: Int) throws(TLSError) {
        precondition(sealing && offset >= 0 && offset <= buffer.count, "seal misuse")
        try setNonce(nonce)
        let count = buffer.count - offset
        if algorithm.isCCM, !update(nil, nil, count) { throw openSSLError("EVP_CipherUpdate(CCM length)") }
        let aadOK = aad.withUnsafeBytes { update(nil, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count) }
        guard aadOK else { throw openSSLError("EVP_CipherUpdate(aad)") }
        let tagLength = algorithm.tagLength
        buffer.append(contentsOf: repeatElement(0, count: tagLength))
        let ok: Bool = buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
            let p = base + offset
            guard count == 0 || update(p, p, count) else { return false }
            var finalLength: Int32 = 0
            guard EVP_CipherFinal_ex(ctx, p + count, &finalLength) == 1 else { return false }
            return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, Int32(tagLength), p + count) == 1
        }
        guard ok else {
            buffer.removeLast(tagLength)
            throw openSSLError("AEAD seal")
        }
    }

    func open(nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer,
              into plaintext: UnsafeMutableRawBufferPointer) throws(TLSError) -> Int {
        precondition(!sealing && nonce.count == algorithm.nonceLength, "open on a sealing context, or a wrong nonce length")
        let tagLength = algorithm.tagLength
        guard ciphertext.count >= tagLength else {
            throw TLSError.protocolViolation(alert: .badRecordMAC, reason: "record shorter than the AEAD tag")
        }
        let count = ciphertext.count - tagLength
        precondition(plaintext.count >= count, "open: plaintext buffer too small")
        let rc = EVP_CipherInit_ex2(ctx, nil, nil, nonce.baseAddress?.assumingMemoryBound(to: UInt8.self), 0, nil)
        try check(rc, "EVP_CipherInit_ex2(iv)")
        var zero: UInt8 = 0
        let ok: Bool = withUnsafeMutablePointer(to: &zero) { empty in
            // A zero-length record still needs valid pointers for libcrypto.
            let input = ciphertext.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(empty)
            let output = plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty
            let tag = UnsafeMutableRawPointer(mutating: input + count)  // libcrypto copies the tag; never written
            if algorithm.isCCM {
                // CCM needs the tag and the total length before any data.
                guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, Int32(tagLength), tag) == 1,
                    update(nil, nil, count)
                else { return false }
            }
            guard update(nil, aad.baseAddress?.assumingMemoryBound(to: UInt8.self), aad.count) else { return false }
            if algorithm.isCCM {
                // CCM verifies the tag inside the (single) update call.
                return update(output, input, count)
            }
            guard count == 0 || update(output, input, count) else { return false }
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, Int32(tagLength), tag) == 1 else { return false }
            var finalLength: Int32 = 0
            return EVP_CipherFinal_ex(ctx, output + count, &finalLength) == 1
        }
        guard ok else {
            ERR_clear_error()
            // Do not leave unauthenticated plaintext behind.
            if count > 0, let base = plaintext.baseAddress { base.initializeMemory(as: UInt8.self, repeating: 0, count: count) }
            throw TLSError.protocolViolation(alert: .badRecordMAC, reason: "record authentication failed")
        }
        return count
    }
}
