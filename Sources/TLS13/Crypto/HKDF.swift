/// HKDF (RFC 5869) on ``HMAC``, with TLS 1.3's HKDF-Expand-Label and Derive-Secret (RFC 8446 §7.1).
///
/// Built on one reused HMAC context rather than `EVP_KDF`, which costs 2–3.5× more per call in OpenSSL 3.0.
final class HKDF {
    let hmac: HMAC
    var algorithm: HashAlgorithm { hmac.algorithm }

    init(_ algorithm: HashAlgorithm) throws(TLSError) {
        hmac = try HMAC(algorithm)
    }

    /// HKDF-Extract(salt, IKM) on public inputs (test vectors). An empty salt means `Hash.length` zero bytes
    /// (RFC 5869 §2.2).
    func extract(salt: [UInt8], ikm: [UInt8]) throws(TLSError) -> SecretBytes {
        let s = salt.isEmpty ? [UInt8](repeating: 0, count: algorithm.length) : salt
        var out = try hmac.authenticate(key: s, ikm)
        return SecretBytes(consuming: &out)
    }

    /// HKDF-Extract(0, IKM): the salt is `Hash.length` zero bytes (RFC 5869 §2.2); `ikm` a secret (a PSK), or
    /// `Hash.length` zeros when `nil`.
    func extract(ikm: SecretBytes?) throws(TLSError) -> SecretBytes {
        let zeros = [UInt8](repeating: 0, count: algorithm.length)
        var out: [UInt8]
        if let ikm {
            out = try ikm.withUnsafeBytes { (i) throws(TLSError) in try hmac.authenticate(key: zeros, [UInt8](i)) }
        } else {
            out = try hmac.authenticate(key: zeros, zeros)
        }
        return SecretBytes(consuming: &out)
    }

    /// HKDF-Extract with a secret salt and secret (or all-zero, when `nil`) input keying material.
    func extract(salt: SecretBytes, ikm: SecretBytes?) throws(TLSError) -> SecretBytes {
        var input = ikm?.withUnsafeBytes { [UInt8]($0) } ?? [UInt8](repeating: 0, count: algorithm.length)
        defer { wipe(&input) }
        var out = try salt.withUnsafeBytes { (s) throws(TLSError) in try hmac.authenticate(key: s, input) }
        return SecretBytes(consuming: &out)
    }

    /// HKDF-Expand(PRK, info, L). `length` must be at most 255 × Hash.length.
    func expand(prk: UnsafeRawBufferPointer, info: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        guard length >= 0, length <= 255 * algorithm.length else {
            throw TLSError.internalError("HKDF-Expand length \(length) exceeds 255 × HashLen")
        }
        var okm = [UInt8]()
        okm.reserveCapacity(length + algorithm.length)
        var t = [UInt8]()
        var counter: UInt8 = 1
        while okm.count < length {
            t = try hmac.authenticate(key: prk, t, info, [counter])
            okm.append(contentsOf: t)
            counter &+= 1
        }
        wipe(&t)
        if okm.count > length {
            // Wipe the tail before dropping it.
            for i in length..<okm.count { okm[i] = 0 }
            okm.removeLast(okm.count - length)
        }
        return okm
    }

    func expand(prk: SecretBytes, info: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        try prk.withUnsafeBytes { (p) throws(TLSError) in try expand(prk: p, info: info, length: length) }
    }

    /// The HkdfLabel structure (RFC 8446 §7.1): uint16 length, opaque label<7..255> = "tls13 " + label,
    /// opaque context<0..255>. The only place the label is assembled.
    ///
    /// An empty `label` is allowed (the struct says `label<7..255>`, but an exporter label may be empty, as BoringSSL,
    /// Go and OpenSSL allow: "tls13 " alone, 6 bytes; the key schedule's own labels are never empty).
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when `label` is longer than 249 bytes, `context` longer than
    ///   255 bytes, or `length` outside 0 ... 65535 (only an exporter's caller can ask for those).
    static func hkdfLabel(label: String, context: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        guard label.utf8.count <= maxLabelLength else {
            throw TLSError.invalidConfiguration(
                "HKDF label must be at most \(maxLabelLength) bytes (\"tls13 \" + label is at most 255), not \(label.utf8.count)")
        }
        guard context.count <= 255, (0...0xFFFF).contains(length) else {
            throw TLSError.invalidConfiguration("HKDF-Expand-Label context over 255 bytes or length out of range")
        }
        var w = ByteWriter(reservingCapacity: 10 + label.utf8.count + context.count)
        w.writeUInt16(UInt16(length))
        do throws(EncodingError) {
            try w.withLengthPrefix(1) { (w) throws(EncodingError) in
                w.writeBytes("tls13 ".utf8)
                w.writeBytes(label.utf8)
            }
            try w.writeVector(1, context)
        } catch {
            // Not reached: both lengths were checked above.
            throw TLSError.invalidConfiguration("HKDF label: \(error)")
        }
        return w.bytes
    }

    /// HKDF-Expand-Label(Secret, Label, Context, Length).
    func expandLabel(secret: SecretBytes, label: String, context: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        try expand(prk: secret, info: try Self.hkdfLabel(label: label, context: context, length: length), length: length)
    }

    /// The longest label HKDF-Expand-Label takes: 255 bytes minus the 6 of "tls13 ".
    static let maxLabelLength = 249

    /// Derive-Secret(Secret, Label, Messages) given `transcriptHash` = Transcript-Hash(Messages).
    func deriveSecret(secret: SecretBytes, label: String, transcriptHash: [UInt8]) throws(TLSError) -> SecretBytes {
        var out = try expandLabel(secret: secret, label: label, context: transcriptHash, length: algorithm.length)
        return SecretBytes(consuming: &out)
    }
}
