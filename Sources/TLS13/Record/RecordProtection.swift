/// Record protection for one direction (RFC 8446 §5.2–5.3): an AEAD keyed once, the static IV, and the
/// sequence number, reset by creating a new instance on every key change.
final class RecordProtection {
    let aead: AEADCipher
    private let iv: SecretBytes
    /// The sequence number of the next record in this direction.
    private(set) var sequenceNumber: UInt64 = 0
    /// Which keys these are, for the trace (``TLSEvent/record(_:)``): set by the handshake when it installs them.
    var epoch: TLSEpoch = .handshake
    /// The application traffic key generation (KeyUpdates so far), for the trace.
    var generation = 0
    /// Reused nonce buffer: no allocation per record.
    private var nonce: [UInt8]

    init(aead: AEADCipher, iv: SecretBytes) {
        precondition(iv.count == aead.algorithm.nonceLength, "IV length")
        self.aead = aead
        self.iv = iv
        self.nonce = [UInt8](repeating: 0, count: iv.count)
    }

    /// Keys an ``EVPAEAD`` from traffic keys.
    convenience init(keys: TrafficKeys, algorithm: AEADAlgorithm, sealing: Bool) throws(TLSError) {
        #if TLS13_FUZZING
        // Fuzzing builds only (never a normal build): identity "encryption", see Docs/Fuzzing.md.
        self.init(aead: FuzzNullAEAD(algorithm), iv: keys.iv)
        #else
        var key = keys.key.withUnsafeBytes { [UInt8]($0) }  // EVP copies it into its context; ours is wiped at once
        defer { wipe(&key) }
        self.init(aead: try EVPAEAD(algorithm, key: key, sealing: sealing), iv: keys.iv)
        #endif
    }

    deinit { wipe(&nonce) }

    /// The per-record nonce: the IV XOR the sequence number, left-padded to the IV length (§5.3).
    /// The only place the nonce is formed.
    private func nextNonce() throws(TLSError) -> [UInt8] {
        // §5.3: a sequence number must never wrap; we refuse rather than reuse a nonce.
        guard sequenceNumber < UInt64.max else {
            throw TLSError.internalError("record sequence number exhausted; the connection must be rekeyed")
        }
        iv.withUnsafeBytes { ivBytes in
            let n = ivBytes.count
            for i in 0..<n { nonce[i] = ivBytes[i] }
            var seq = sequenceNumber
            var i = n - 1
            while seq != 0 {
                nonce[i] ^= UInt8(truncatingIfNeeded: seq)
                seq >>= 8
                i -= 1
            }
        }
        sequenceNumber += 1
        return nonce
    }

    /// The additional data of a TLSCiphertext: its 5-byte header (§5.2). The only place it is formed.
    static func additionalData(length: Int) -> [UInt8] {
        [ContentType.applicationData.rawValue, 0x03, 0x03, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
    }

    /// Appends one protected record carrying `payload` of `contentType` with `padding` zero bytes to `out`.
    func seal(contentType: ContentType, payload: ArraySlice<UInt8>, padding: Int = 0, into out: inout [UInt8]) throws(TLSError) {
        let innerLength = payload.count + 1 + padding
        let length = innerLength + aead.algorithm.tagLength
        precondition(innerLength <= RecordLayer.maxPlaintext + 1 + 255 && length <= RecordLayer.maxCiphertext, "record too large")
        let header = Self.additionalData(length: length)
        out.append(contentsOf: header)
        let start = out.count
        out.append(contentsOf: payload)
        out.append(contentType.rawValue)
        if padding > 0 { out.append(contentsOf: repeatElement(0, count: padding)) }
        try aead.seal(nonce: nextNonce(), aad: header, buffer: &out, from: start)
    }

    /// Decrypts the record body `buffer[range]` in place and strips the TLSInnerPlaintext padding. Returns
    /// the real content type and the range of the content.
    ///
    /// - Parameter header: the 5-byte record header exactly as received: it is the AEAD's additional data
    ///   (§5.2), so a header altered in transit fails authentication. `nil` (tests) rebuilds the canonical one.
    func open(header: [UInt8]? = nil, buffer: inout [UInt8], range: Range<Int>) throws(TLSError) -> (ContentType, Range<Int>) {
        let aad = header ?? Self.additionalData(length: range.count)
        let plaintextLength = try aead.open(nonce: nextNonce(), aad: aad, buffer: &buffer, range: range)
        let inner = range.lowerBound..<(range.lowerBound + plaintextLength)
        let (type, contentLength) = try Self.parseInnerPlaintext(buffer[inner])
        return (type, range.lowerBound..<(range.lowerBound + contentLength))
    }

    /// Decrypts one record body (ciphertext ‖ tag) into a new array and strips the TLSInnerPlaintext padding:
    /// the one write of the plaintext on the receive path (the ciphertext stays where it was received).
    /// Returns the real content type and the content.
    ///
    /// - Parameter header: the 5-byte record header exactly as received (the AEAD's additional data, §5.2).
    func open(header: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer) throws(TLSError) -> (ContentType, [UInt8]) {
        precondition(header.count == RecordLayer.headerLength, "record header length")
        let capacity = max(body.count - aead.algorithm.tagLength, 0)
        var failure: TLSError?
        var plaintext = [UInt8](unsafeUninitializedCapacity: capacity) { out, initialized in
            do throws(TLSError) {
                let nonce = try nextNonce()
                let opened: Result<Int, TLSError> = nonce.withUnsafeBytes { n in
                    do throws(TLSError) {
                        return .success(try aead.open(nonce: n, aad: header, ciphertext: body, into: UnsafeMutableRawBufferPointer(out)))
                    } catch {
                        return .failure(error)
                    }
                }
                initialized = try opened.get()
            } catch {
                failure = error  // nothing was left in `out` (the AEAD zeroes what it wrote)
                initialized = 0
            }
        }
        if let failure { throw failure }
        let (type, contentLength) = try Self.parseInnerPlaintext(plaintext[...])
        if contentLength < plaintext.count {
            plaintext.removeLast(plaintext.count - contentLength)  // the type byte and zero padding
        }
        return (type, plaintext)
    }

    /// Splits a TLSInnerPlaintext (content ‖ type ‖ zeros) into its content type and content length.
    private static func parseInnerPlaintext(_ inner: ArraySlice<UInt8>) throws(TLSError) -> (ContentType, Int) {
        // §5.4: the whole TLSInnerPlaintext (content, type, padding) is at most 2^14 + 1 bytes.
        guard inner.count <= RecordLayer.maxPlaintext + 1 else {
            throw TLSError.protocolViolation(
                alert: .recordOverflow, reason: "decrypted record of \(inner.count) bytes exceeds 2^14 + 1")
        }
        // Find the last non-zero byte.
        var end = inner.endIndex
        while end > inner.startIndex, inner[end - 1] == 0 { end -= 1 }
        guard end > inner.startIndex else {
            throw TLSError.unexpected("encrypted record has no non-zero content type (all-zero inner plaintext)")
        }
        let type = ContentType(rawValue: inner[end - 1])
        let contentLength = end - 1 - inner.startIndex
        guard contentLength <= RecordLayer.maxPlaintext else {
            throw TLSError.protocolViolation(alert: .recordOverflow, reason: "decrypted record content longer than 2^14 bytes")
        }
        return (type, contentLength)
    }
}
