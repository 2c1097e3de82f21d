internal import COpenSSL

/// A peer's public key (from a certificate or a DER SubjectPublicKeyInfo) that verifies signatures.
///
/// Supports the RFC 8446 §4.2.3 schemes: `ecdsa_secp{256r1,384r1,521r1}_sha{256,384,512}`,
/// `rsa_pss_rsae_sha{256,384,512}` (RSA key, rsaEncryption OID), `rsa_pss_pss_sha{256,384,512}` (RSA-PSS key,
/// id-RSASSA-PSS OID), `ed25519`, `ed448`, and `rsa_pkcs1_sha{256,384,512}` (certificate signatures only;
/// ``OpenSSLSignatureVerifier`` refuses them for CertificateVerify). RSA-PSS always uses MGF1 with the
/// signature hash and a salt as long as the hash, as RFC 8446 §4.2.3 requires.
final class PublicKey: @unchecked Sendable {
    // @unchecked Sendable: the wrapped EVP_PKEY is only read after init (see EVPKey).
    let key: EVPKey

    /// Whether `other` is the same public key (`EVP_PKEY_eq`).
    func matches(_ other: PublicKey) -> Bool {
        EVP_PKEY_eq(key.pointer, other.key.pointer) == 1
    }

    /// Parses a DER SubjectPublicKeyInfo (`d2i_PUBKEY`); the whole input must be consumed.
    ///
    /// - Throws: `bad_certificate` (``TLSError/certificateRejected(alert:reason:)``) when the bytes are not a
    ///   public key libcrypto understands, or have trailing bytes.
    init(subjectPublicKeyInfo der: [UInt8]) throws(TLSError) {
        var consumed = 0
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            let result = d2i_PUBKEY(nil, &cursor, buffer.count)
            if let cursor { consumed = cursor - base }
            return result
        }
        guard let parsed else {
            throw .certificateRejected(alert: .badCertificate,
                                       reason: openSSLErrorString("cannot parse SubjectPublicKeyInfo"))
        }
        key = EVPKey(takingOwnership: parsed)
        guard consumed == der.count else {
            throw .certificateRejected(alert: .badCertificate,
                                       reason: "SubjectPublicKeyInfo has \(der.count - consumed) trailing bytes")
        }
    }

    /// The subject public key of `certificate` (`X509_get_pubkey`).
    ///
    /// - Throws: `bad_certificate` when the certificate's key cannot be decoded.
    init(certificate: X509Certificate) throws(TLSError) {
        guard let extracted = X509_get_pubkey(certificate.pointer) else {
            throw .certificateRejected(alert: .badCertificate,
                                       reason: openSSLErrorString("cannot decode the certificate's public key"))
        }
        key = EVPKey(takingOwnership: extracted)
    }

    /// e.g. `RSA-2048`, `EC P-256`, `Ed25519`.
    var typeDescription: String { key.typeDescription }

    /// Verifies `signature` over `message` (the message itself; hashing is part of the scheme).
    ///
    /// - Returns: `true` when the signature is valid, `false` when it is not (wrong signature, malformed DER
    ///   ECDSA signature, wrong length, or a value the RSA-PSS key's own parameter restrictions rule out).
    /// - Throws: `illegal_parameter` when `scheme` is not one listed on ``PublicKey`` or does not fit this key
    ///   (an ECDSA scheme with an RSA key, a P-256 scheme with a P-384 key, rsa_pss_rsae with an RSA-PSS key…),
    ///   as OpenSSL's libssl does (`tls12_check_peer_sigalg`); ``TLSError/internalError(_:)`` when libcrypto
    ///   fails for another reason.
    func verify(scheme: SignatureScheme, message: [UInt8], signature: [UInt8]) throws(TLSError) -> Bool {
        guard let parameters = SignatureSchemeParameters(scheme) else {
            throw .illegalParameter("signature scheme \(scheme) is not supported")
        }
        guard parameters.keyType.matches(key) else {
            throw .illegalParameter("signature scheme \(scheme) does not match the \(key.typeDescription) key")
        }
        let digest = try parameters.digest()  // <EVP_MD>, nil for EdDSA
        let context = try EVPDigestContext()
        // A key of type RSA-PSS may restrict hash, MGF1 hash and minimum salt; libcrypto then refuses other
        // parameters at set-up. No valid signature under those restrictions exists, so that is `false`.
        let restricted = parameters.keyType == .rsaPSS
        var keyContext: OpaquePointer?  // <EVP_PKEY_CTX>, owned by `context`
        guard EVP_DigestVerifyInit(context.pointer, &keyContext, digest, nil, key.pointer) == 1 else {
            if restricted { ERR_clear_error(); return false }
            throw openSSLError("EVP_DigestVerifyInit(\(scheme))")
        }
        if let padding = parameters.padding {
            guard let keyContext else { throw .internalError("EVP_DigestVerifyInit returned no EVP_PKEY_CTX") }
            var ok = COpenSSL_EVP_PKEY_CTX_set_rsa_padding(keyContext, padding.openSSLValue) == 1
            if ok, padding == .pss {
                ok = COpenSSL_EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, COpenSSL_RSA_PSS_SALTLEN_DIGEST()) == 1
                    && COpenSSL_EVP_PKEY_CTX_set_rsa_mgf1_md(keyContext, digest) == 1
            }
            guard ok else {
                if restricted { ERR_clear_error(); return false }
                throw openSSLError("setting \(scheme) padding")
            }
        }
        let result = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(context.pointer, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        // 0 is a bad signature; a negative value is "could not even check" (e.g. an ECDSA signature that is not
        // DER). Both mean the peer's signature is not valid.
        if result != 1 { ERR_clear_error() }
        return result == 1
    }
}

/// What a ``SignatureScheme`` needs from the key and from libcrypto.
struct SignatureSchemeParameters: Sendable {
    /// The message digest to sign or verify with (fetched once per process), or `nil` for EdDSA, which
    /// hashes internally. Throws if libcrypto lacks the digest.
    func digest() throws(TLSError) -> OpaquePointer? {  // <EVP_MD>
        guard let hash else { return nil }
        return try checkNotNull(hash.md, "EVP_MD_fetch(\(hash))")
    }

    enum KeyType: Sendable, Equatable {
        /// rsaEncryption key (`EVP_PKEY_is_a "RSA"`).
        case rsa
        /// id-RSASSA-PSS key (`"RSA-PSS"`).
        case rsaPSS
        /// EC key on the named curve with this NID.
        case ec(curveNID: Int32)
        case ed25519
        case ed448

        func matches(_ key: EVPKey) -> Bool {
            switch self {
            case .rsa: key.isA("RSA")
            case .rsaPSS: key.isA("RSA-PSS")
            case .ec(let nid): key.isA("EC") && key.curveNID == nid
            case .ed25519: key.isA("ED25519")
            case .ed448: key.isA("ED448")
            }
        }
    }

    enum Padding: Sendable, Equatable {
        case pkcs1
        case pss

        var openSSLValue: Int32 {
            switch self {
            case .pkcs1: COpenSSL_RSA_PKCS1_PADDING()
            case .pss: COpenSSL_RSA_PKCS1_PSS_PADDING()
            }
        }
    }

    enum Hash: Sendable, CustomStringConvertible {
        case sha256, sha384, sha512

        /// The process-wide fetched digest (nil only if the default provider lacks it).
        var md: OpaquePointer? {  // <EVP_MD>
            switch self {
            case .sha256: SignatureDigests.sha256
            case .sha384: SignatureDigests.sha384
            case .sha512: SignatureDigests.sha512
            }
        }

        var description: String {
            switch self {
            case .sha256: "SHA256"
            case .sha384: "SHA384"
            case .sha512: "SHA512"
            }
        }
    }

    var keyType: KeyType
    /// nil for EdDSA, which hashes internally.
    var hash: Hash?
    /// RSA padding; nil for ECDSA and EdDSA.
    var padding: Padding?

    init?(_ scheme: SignatureScheme) {
        switch scheme {
        case .ecdsaSecp256r1SHA256: self.init(.ec(curveNID: NID_X9_62_prime256v1), .sha256, nil)
        case .ecdsaSecp384r1SHA384: self.init(.ec(curveNID: NID_secp384r1), .sha384, nil)
        case .ecdsaSecp521r1SHA512: self.init(.ec(curveNID: NID_secp521r1), .sha512, nil)
        case .rsaPSSRSAESHA256: self.init(.rsa, .sha256, .pss)
        case .rsaPSSRSAESHA384: self.init(.rsa, .sha384, .pss)
        case .rsaPSSRSAESHA512: self.init(.rsa, .sha512, .pss)
        case .rsaPSSPSSSHA256: self.init(.rsaPSS, .sha256, .pss)
        case .rsaPSSPSSSHA384: self.init(.rsaPSS, .sha384, .pss)
        case .rsaPSSPSSSHA512: self.init(.rsaPSS, .sha512, .pss)
        case .ed25519: self.init(.ed25519, nil, nil)
        case .ed448: self.init(.ed448, nil, nil)
        case .rsaPKCS1SHA256: self.init(.rsa, .sha256, .pkcs1)
        case .rsaPKCS1SHA384: self.init(.rsa, .sha384, .pkcs1)
        case .rsaPKCS1SHA512: self.init(.rsa, .sha512, .pkcs1)
        default: return nil
        }
    }

    private init(_ keyType: KeyType, _ hash: Hash?, _ padding: Padding?) {
        self.keyType = keyType
        self.hash = hash
        self.padding = padding
    }
}

/// Digests for signature verification, fetched once per process and never freed.
///
/// `nonisolated(unsafe)`: a fetched `EVP_MD` is immutable and libcrypto allows sharing it between threads.
private enum SignatureDigests {
    nonisolated(unsafe) static let sha256: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)
    nonisolated(unsafe) static let sha384: OpaquePointer? = EVP_MD_fetch(nil, "SHA384", nil)
    nonisolated(unsafe) static let sha512: OpaquePointer? = EVP_MD_fetch(nil, "SHA512", nil)
}

/// Verifies a CertificateVerify signature (RFC 8446 §4.4.3) with the peer's end-entity certificate.
///
/// The handshake holds one of these so tests can substitute a fake. The handshake itself builds `message`
/// (64 × 0x20 ‖ context string ‖ 0x00 ‖ Transcript-Hash) and checks that `scheme` was offered in
/// `signature_algorithms`; the verifier checks the signature and that the scheme fits the key.
protocol SignatureVerifier: Sendable {
    /// - Parameters:
    ///   - scheme: the CertificateVerify's `algorithm`.
    ///   - certificate: the DER end-entity certificate (first CertificateEntry), already chain-validated.
    ///   - message: the exact signed content.
    ///   - signature: the CertificateVerify's `signature`.
    /// - Returns: whether the signature is valid; `false` becomes a `decrypt_error` alert in the handshake.
    /// - Throws: `illegal_parameter` when `scheme` is unsupported, not allowed in CertificateVerify, or does not
    ///   fit the certificate's key; `bad_certificate` when the certificate or its key cannot be parsed.
    func verify(scheme: SignatureScheme, certificate: [UInt8], message: [UInt8], signature: [UInt8])
        throws(TLSError) -> Bool
}

/// The libcrypto ``SignatureVerifier``: parses the certificate and calls
/// ``PublicKey/verify(scheme:message:signature:)``.
///
/// Refuses `rsa_pkcs1_*` (RFC 8446 §4.2.3: "MUST NOT be offered … for CertificateVerify") and anything else
/// ``PublicKey`` does not support, with `illegal_parameter`.
struct OpenSSLSignatureVerifier: SignatureVerifier {
    /// Where parsed certificates are looked up and kept; `nil` parses each one anew.
    var certificates: CertificateCache? = nil

    func verify(scheme: SignatureScheme, certificate: [UInt8], message: [UInt8], signature: [UInt8])
        throws(TLSError) -> Bool
    {
        guard scheme != .rsaPKCS1SHA256, scheme != .rsaPKCS1SHA384, scheme != .rsaPKCS1SHA512 else {
            throw .illegalParameter("signature scheme \(scheme) is not allowed in CertificateVerify")
        }
        let parsed = try certificates.certificate(der: certificate)
        return try PublicKey(certificate: parsed).verify(scheme: scheme, message: message, signature: signature)
    }
}
