#if TLS13_FUZZING
/// Fuzzing builds only (`-DTLS13_FUZZING`): an ``AEADCipher`` whose "encryption" is the identity and whose
/// tag is a fixed pattern, so that fuzz inputs reach the code behind record decryption (inner content type,
/// padding, handshake parsing) without having to forge real AES-GCM or ChaCha20-Poly1305 tags.
///
/// `seal` leaves the plaintext as it is and appends ``tagByte`` × `tagLength`; `open` accepts any tag and
/// returns the bytes before it unchanged. A body shorter than the tag still fails with `bad_record_mac`, as
/// ``EVPAEAD`` does. Key and nonce are ignored, so key updates and sequence numbers need no cooperation from
/// the input either.
final class FuzzNullAEAD: AEADCipher {
    let algorithm: AEADAlgorithm

    /// The byte the fixed tag is made of.
    static let tagByte: UInt8 = 0xA5

    init(_ algorithm: AEADAlgorithm) {
        self.algorithm = algorithm
    }

    func seal(nonce: [UInt8], aad: [UInt8], buffer: inout [UInt8], from offset: Int) throws(TLSError) {
        precondition(offset >= 0 && offset <= buffer.count, "seal misuse")
        precondition(nonce.count == algorithm.nonceLength, "AEAD nonce length")
        buffer.append(contentsOf: repeatElement(Self.tagByte, count: algorithm.tagLength))
    }

    func open(nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer,
              into plaintext: UnsafeMutableRawBufferPointer) throws(TLSError) -> Int {
        precondition(nonce.count == algorithm.nonceLength, "AEAD nonce length")
        guard ciphertext.count >= algorithm.tagLength else {
            throw TLSError.protocolViolation(alert: .badRecordMAC, reason: "record shorter than the AEAD tag")
        }
        let count = ciphertext.count - algorithm.tagLength
        precondition(plaintext.count >= count, "open: plaintext buffer too small")
        if count > 0, let to = plaintext.baseAddress, let from = ciphertext.baseAddress, to != UnsafeMutableRawPointer(mutating: from) {
            to.copyMemory(from: from, byteCount: count)
        }
        return count
    }
}
#endif
