internal import COpenSSL

/// A private key that signs TLS 1.3 CertificateVerify content (RFC 8446 §4.4.3): for client authentication,
/// and for the test server.
///
/// Signs with `ecdsa_secp{256r1,384r1,521r1}_sha{256,384,512}` (DER-encoded ECDSA-Sig-Value),
/// `rsa_pss_rsae_sha{256,384,512}` (RSA key with the rsaEncryption OID; MGF1 with the signature hash, salt as
/// long as the hash, as §4.2.3 requires), `rsa_pss_pss_sha{256,384,512}` (RSA-PSS key, id-RSASSA-PSS OID, same
/// padding), `ed25519` and `ed448`. `rsa_pkcs1_*` never sign in TLS 1.3.
///
/// `@unchecked Sendable`: the wrapped `EVP_PKEY` is only read after loading (see ``EVPKey``); every signature
/// uses its own `EVP_MD_CTX`.
final class PrivateKey: @unchecked Sendable {
    let key: EVPKey

    /// Loads the first private key in the PEM file at `path` (PKCS#8 `PRIVATE KEY`, or the traditional
    /// `EC PRIVATE KEY` / `RSA PRIVATE KEY` forms).
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when the file cannot be read, holds no private key, or
    ///   the key is encrypted (no passphrase is ever asked for).
    convenience init(pemFile path: String) throws(TLSError) {
        try self.init(bio: try OpenSSLBIO.readingFile(path, purpose: "private key file"), source: path)
    }

    /// Loads the first private key in PEM text `pem`.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when it holds no (unencrypted) private key.
    convenience init(pem: [UInt8]) throws(TLSError) {
        try self.init(bio: try OpenSSLBIO.memory(contents: pem), source: "PEM data")
    }

    /// Parses a DER private key: PKCS#8 `PrivateKeyInfo`, or the traditional RSA / EC forms (`d2i_AutoPrivateKey`).
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when the bytes are no (unencrypted) private key.
    convenience init(der: [UInt8]) throws(TLSError) {
        ERR_clear_error()
        var consumed = 0
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            let key = d2i_AutoPrivateKey(nil, &cursor, buffer.count)
            if let cursor { consumed = cursor - base }
            return key
        }
        guard let parsed else {
            throw .invalidConfiguration("no usable private key in DER data: \(firstErrorReason() ?? "does not parse")")
        }
        guard consumed == der.count else {
            EVP_PKEY_free(parsed)
            throw .invalidConfiguration("the DER private key has \(der.count - consumed) trailing bytes")
        }
        self.init(key: EVPKey(takingOwnership: parsed))
    }

    private init(key: EVPKey) { self.key = key }

    private init(bio: OpenSSLBIO, source: String) throws(TLSError) {
        ERR_clear_error()
        // A callback that supplies no passphrase: without one, libcrypto would prompt on the terminal for an
        // encrypted key.
        let noPassphrase: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?)
            -> Int32 = { _, _, _, _ in 0 }
        guard let loaded = PEM_read_bio_PrivateKey(bio.pointer, nil, noPassphrase, nil) else {
            throw .invalidConfiguration(
                "no usable private key in \(source): \(firstErrorReason() ?? "no PEM private key found")")
        }
        key = EVPKey(takingOwnership: loaded)
    }

    /// e.g. `RSA-2048`, `EC P-256`, `Ed25519`.
    var typeDescription: String { key.typeDescription }

    /// The scheme a TLS 1.3 server would normally sign with for this key: the curve's ECDSA scheme,
    /// `rsa_pss_rsae_sha256`, `ed25519` or `ed448`; `nil` for keys this type cannot sign with.
    var defaultScheme: SignatureScheme? {
        let candidates: [SignatureScheme] = [
            .ecdsaSecp256r1SHA256, .ecdsaSecp384r1SHA384, .ecdsaSecp521r1SHA512, .rsaPSSRSAESHA256, .rsaPSSPSSSHA256,
            .ed25519, .ed448,
        ]
        return candidates.first { SignatureSchemeParameters($0)?.keyType.matches(key) == true }
    }

    /// Every TLS 1.3 scheme this key can sign CertificateVerify with, in preference order.
    var signatureSchemes: [SignatureScheme] {
        let all: [SignatureScheme] = [
            .ecdsaSecp256r1SHA256, .ecdsaSecp384r1SHA384, .ecdsaSecp521r1SHA512,
            .ed25519, .ed448,
            .rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512,
            .rsaPSSPSSSHA256, .rsaPSSPSSSHA384, .rsaPSSPSSSHA512,
        ]
        return all.filter { SignatureSchemeParameters($0)?.keyType.matches(key) == true }
    }

    /// The matching public key (its DER SubjectPublicKeyInfo, re-parsed).
    func publicKey() throws(TLSError) -> PublicKey {
        let length = i2d_PUBKEY(key.pointer, nil)
        guard length > 0 else { throw openSSLError("i2d_PUBKEY") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(key.pointer, &cursor)
        }
        guard written == length else { throw openSSLError("i2d_PUBKEY") }
        return try PublicKey(subjectPublicKeyInfo: der)
    }

    /// Signs `message` (the content itself; hashing is part of the scheme).
    ///
    /// - Returns: the signature as it goes in CertificateVerify.signature.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when `scheme` is not one this type signs with or does
    ///   not fit the key (an ECDSA scheme with an RSA key, a P-256 scheme with a P-384 key…);
    ///   ``TLSError/internalError(_:)`` when libcrypto fails.
    func sign(scheme: SignatureScheme, message: [UInt8]) throws(TLSError) -> [UInt8] {
        let signable: Set<SignatureScheme> = [
            .ecdsaSecp256r1SHA256, .ecdsaSecp384r1SHA384, .ecdsaSecp521r1SHA512,
            .rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512, .ed25519, .ed448,
            .rsaPSSPSSSHA256, .rsaPSSPSSSHA384, .rsaPSSPSSSHA512,
        ]
        guard signable.contains(scheme), let parameters = SignatureSchemeParameters(scheme) else {
            throw .invalidConfiguration("signature scheme \(scheme) cannot be used to sign in TLS 1.3")
        }
        guard parameters.keyType.matches(key) else {
            throw .invalidConfiguration("signature scheme \(scheme) does not match the \(key.typeDescription) key")
        }
        let digest = try parameters.digest()  // <EVP_MD>, nil for EdDSA
        let context = try EVPDigestContext()
        var keyContext: OpaquePointer?  // <EVP_PKEY_CTX>, owned by `context`
        try check(EVP_DigestSignInit(context.pointer, &keyContext, digest, nil, key.pointer),
                  "EVP_DigestSignInit(\(scheme))")
        if parameters.padding == .pss {
            guard let keyContext else { throw .internalError("EVP_DigestSignInit returned no EVP_PKEY_CTX") }
            try check(COpenSSL_EVP_PKEY_CTX_set_rsa_padding(keyContext, COpenSSL_RSA_PKCS1_PSS_PADDING()),
                      "EVP_PKEY_CTX_set_rsa_padding(PSS)")
            try check(COpenSSL_EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, COpenSSL_RSA_PSS_SALTLEN_DIGEST()),
                      "EVP_PKEY_CTX_set_rsa_pss_saltlen")
            try check(COpenSSL_EVP_PKEY_CTX_set_rsa_mgf1_md(keyContext, digest), "EVP_PKEY_CTX_set_rsa_mgf1_md")
        }
        // One-shot EVP_DigestSign: EdDSA supports no other form. First the maximum length, then the signature.
        var length = 0
        try check(message.withUnsafeBufferPointer { msg in
            EVP_DigestSign(context.pointer, nil, &length, msg.baseAddress, msg.count)
        }, "EVP_DigestSign(length)")
        var signature = [UInt8](repeating: 0, count: length)
        try check(signature.withUnsafeMutableBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestSign(context.pointer, sig.baseAddress, &length, msg.baseAddress, msg.count)
            }
        }, "EVP_DigestSign(\(scheme))")
        guard length <= signature.count else { throw .internalError("EVP_DigestSign overran its buffer") }
        signature.removeLast(signature.count - length)  // DER ECDSA signatures are often shorter than the maximum
        return signature
    }
}
