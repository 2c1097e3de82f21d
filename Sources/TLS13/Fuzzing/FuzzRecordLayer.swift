#if TLS13_FUZZING
/// Fuzzing builds only: the record-layer fuzz target (`Fuzz/Targets/record`).
///
/// Input: `mode` byte, `chunk` byte, then the bytes from the transport (or, in write mode, a payload).
///
/// * mode % 4 == 0: no read protection (records before the ServerHello); bit 2 allows change_cipher_spec.
/// * mode % 4 == 1: read protection with ``FuzzNullAEAD`` (the AEAD chosen by `mode >> 3`), so the
///   TLSInnerPlaintext parsing (content type, zero padding, length limits) sees the input directly.
/// * mode % 4 == 2: read protection with a real ``EVPAEAD`` under a fixed key: authentication fails, and
///   the failure paths (short records, tag checks, wiping the plaintext) are exercised.
/// * mode % 4 == 3: write then read back: the payload is framed by ``RecordLayer/write(_:payload:into:)``
///   (content type and fragment size from the input) under the null AEAD or in the clear, and must come back
///   fragment for fragment from a second record layer.
///
/// The input is fed `chunk + 1` bytes at a time (`chunk == 255`: all at once), draining ``RecordLayer/nextRecord()``
/// after each; the first error ends the run, as it ends a connection.
public func _fuzzRecordLayer(_ data: UnsafeRawBufferPointer) {
    var input = FuzzInput(data)
    let mode = input.byte()
    let chunk = input.byte()
    let algorithm = FuzzRecordLayer.algorithms[Int(mode >> 3) % FuzzRecordLayer.algorithms.count]
    let stream = input.rest()
    switch mode % 4 {
    case 3:
        FuzzRecordLayer.writeAndReadBack(payload: stream, mode: mode, chunk: chunk, algorithm: algorithm)
    default:
        var layer = RecordLayer()
        layer.allowsChangeCipherSpec = mode & 0x04 != 0
        switch mode % 4 {
        case 1: layer.readProtection = FuzzRecordLayer.nullProtection(algorithm)
        case 2: layer.readProtection = FuzzRecordLayer.evpProtection(algorithm)
        default: break
        }
        _ = FuzzRecordLayer.feed(stream, to: &layer, chunk: chunk)
    }
}

/// The pieces of ``_fuzzRecordLayer(_:)``.
enum FuzzRecordLayer {
    static let algorithms: [AEADAlgorithm] = [.aes128GCM, .aes256GCM, .chacha20Poly1305, .aes128CCM, .aes128CCM8]

    static func nullProtection(_ algorithm: AEADAlgorithm) -> RecordProtection {
        RecordProtection(aead: FuzzNullAEAD(algorithm), iv: SecretBytes([UInt8](repeating: 0x11, count: algorithm.nonceLength)))
    }

    static func evpProtection(_ algorithm: AEADAlgorithm) -> RecordProtection? {
        let key = [UInt8](repeating: 0x22, count: algorithm.keyLength)
        guard let aead = try? EVPAEAD(algorithm, key: key, sealing: false) else { return nil }
        return RecordProtection(aead: aead, iv: SecretBytes([UInt8](repeating: 0x11, count: algorithm.nonceLength)))
    }

    /// Feeds `stream` in pieces and returns every record read before the end or the first error.
    static func feed(_ stream: [UInt8], to layer: inout RecordLayer, chunk: UInt8) -> [InboundRecord] {
        let step = chunk == 255 ? max(1, stream.count) : Int(chunk) + 1
        var records: [InboundRecord] = []
        var offset = 0
        while offset < stream.count {
            let end = min(offset + step, stream.count)
            layer.receive(stream[offset..<end])
            offset = end
            do {
                while let record = try layer.nextRecord() {
                    check(record, protected: layer.readProtection != nil)
                    records.append(record)
                }
            } catch {
                return records
            }
            fuzzCheck(layer.bufferedByteCount < RecordLayer.headerLength + RecordLayer.maxCiphertext,
                      "record layer buffers \(layer.bufferedByteCount) bytes without returning a record")
        }
        return records
    }

    /// What ``RecordLayer/nextRecord()`` promises about every record it returns.
    static func check(_ record: InboundRecord, protected: Bool) {
        fuzzCheck(record.payload.count <= RecordLayer.maxPlaintext, "record payload of \(record.payload.count) bytes")
        fuzzCheck(protected || !record.wasEncrypted, "unprotected layer returned an encrypted record")
        switch record.contentType {
        case .handshake: fuzzCheck(!record.payload.isEmpty, "empty handshake record returned")
        case .alert: fuzzCheck(record.payload.count == 2, "alert record of \(record.payload.count) bytes returned")
        case .applicationData: fuzzCheck(record.wasEncrypted, "unprotected application data returned")
        default: fuzzCheck(false, "record of content type \(record.contentType.rawValue) returned")
        }
    }

    /// Frames `payload` with ``RecordLayer/write(_:payload:into:)`` and reads it back.
    static func writeAndReadBack(payload: [UInt8], mode: UInt8, chunk: UInt8, algorithm: AEADAlgorithm) {
        let types: [ContentType] = [.handshake, .alert, .applicationData]
        let type = types[Int((mode >> 2) & 0x01) + ((mode & 0x80) != 0 ? 1 : 0)]
        let protected = type == .applicationData || mode & 0x40 != 0
        // Only what the handshake itself writes: handshake and alert records are never empty.
        guard type == .applicationData || !payload.isEmpty else { return }
        var writer = RecordLayer()
        writer.maxOutboundPlaintext = max(1, Int(chunk) << 6)
        if protected {
            writer.writeProtection = RecordProtection(
                aead: FuzzNullAEAD(algorithm), iv: SecretBytes([UInt8](repeating: 0x11, count: algorithm.nonceLength)))
        }
        var wire: [UInt8] = []
        do {
            try writer.write(type, payload: payload[...], into: &wire)
        } catch {
            fuzzCheck(false, "write failed: \(error)")
            return
        }
        fuzzCheckOutboundRecords(wire, what: "RecordLayer.write")
        var reader = RecordLayer()
        if protected { reader.readProtection = nullProtection(algorithm) }
        var all: [UInt8] = []
        var count = 0
        do {
            reader.receive(wire)
            while let record = try reader.nextRecord() {
                fuzzCheck(record.contentType == type, "read back \(record.contentType), wrote \(type)")
                fuzzCheck(record.wasEncrypted == protected, "read back protection differs")
                all += record.payload
                count += 1
            }
        } catch {
            // Alert records of other than two bytes are refused on receipt; that is the reader's rule.
            if type == .alert { return }
            fuzzCheck(false, "reading back \(type) records failed: \(error)")
        }
        fuzzCheck(all == payload, "read back \(all.count) bytes, wrote \(payload.count)")
        fuzzCheck(reader.bufferedByteCount == 0, "bytes left over after reading back")
        let expected = payload.isEmpty ? 1 : (payload.count + writer.maxOutboundPlaintext - 1) / writer.maxOutboundPlaintext
        fuzzCheck(count == expected, "\(count) records for \(payload.count) bytes in fragments of \(writer.maxOutboundPlaintext)")
    }
}
#endif
