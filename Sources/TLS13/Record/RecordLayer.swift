/// One record as received, after deprotection.
struct InboundRecord: Equatable {
    var contentType: ContentType
    var payload: [UInt8]
    /// Whether the record was protected (TLSCiphertext).
    var wasEncrypted: Bool
}

/// The record layer, sans-I/O (RFC 8446 §5): bytes from the transport go in with ``receive(_:)``,
/// deprotected records come out of ``nextRecord()``; outbound content is framed, fragmented and protected
/// by ``write(_:payload:into:)``.
///
/// It enforces the framing limits (`record_overflow`), decrypts in place in its receive buffer, and drops
/// the middlebox-compatibility change_cipher_spec records only where §5 allows them.
struct RecordLayer {
    /// 2^14: the most content one record may carry (§5.1).
    static let maxPlaintext = 1 << 14
    /// 2^14 + 256: the largest TLSCiphertext.length (§5.2).
    static let maxCiphertext = (1 << 14) + 256
    static let headerLength = 5

    /// Protection for records we receive; `nil` before the server's handshake keys are installed.
    var readProtection: RecordProtection?
    /// Protection for records we send; `nil` while the ClientHello is sent in the clear.
    var writeProtection: RecordProtection?
    /// Whether an unprotected change_cipher_spec record (exactly `0x01`) is to be dropped (§5: after our
    /// ClientHello and before the peer's Finished). Otherwise it is `unexpected_message`.
    var allowsChangeCipherSpec = false
    /// The largest content we put in one record we send (the peer's record_size_limit may lower it: see
    /// ``applyPeerRecordSizeLimit(_:)``).
    var maxOutboundPlaintext = RecordLayer.maxPlaintext
    /// Padding added to each protected record we send (bytes of zeros in TLSInnerPlaintext).
    var outboundPadding = 0
    /// Our record_size_limit once negotiated (RFC 8449): the largest TLSInnerPlaintext (content, type byte and
    /// padding) a protected record may carry. A longer one is `record_overflow`. `nil`: the protocol's limits only.
    var maxInboundInnerPlaintext: Int?

    /// Caps the records we send at the peer's record_size_limit (RFC 8449 §4). In TLS 1.3 the limit counts the
    /// whole TLSInnerPlaintext, so content gets `limit - 1 - outboundPadding` bytes; never more than 2^14.
    mutating func applyPeerRecordSizeLimit(_ limit: Int) {
        maxOutboundPlaintext = max(1, min(Self.maxPlaintext, limit - 1 - outboundPadding))
    }

    /// The most consecutive records without content accepted — empty (or padding-only) application data, and
    /// dropped change_cipher_spec records — before one more is `unexpected_message`. Both are legal (§5, §5.4)
    /// but cost the client work for nothing, so a peer must not be able to send them without end. Any record
    /// with content resets the count. (BoringSSL's limit.)
    static let maxConsecutiveEmptyRecords = 32
    private var consecutiveEmptyRecords = 0

    /// Bytes of an incomplete record carried over between ``receive(_:)`` calls: `buffer[start...]`.
    private var buffer: [UInt8] = []
    private var start = 0
    /// The bytes of the latest ``receive(_:)`` not yet consumed, read in place (no copy into `buffer`): whole
    /// records are deprotected straight out of the caller's array. Whatever is left when ``nextRecord()``
    /// returns `nil` (the start of an incomplete record) moves to `buffer`, so the caller's array is released
    /// then; ``releaseInput()`` does it early.
    private var pending: ArraySlice<UInt8> = []

    init() {}

    // MARK: - Observation (the trace)

    /// One record as it went through, for ``TLSEvent/record(_:)``.
    struct Observation: Equatable {
        var direction: TLSDirection
        var epoch: TLSEpoch
        var generation: Int
        var outerType: UInt8
        var innerType: UInt8
        var plaintextLength: Int
        var wireLength: Int
        var streamOffset: Int
    }

    /// Whether records are noted for the trace (only when someone listens: otherwise nothing is kept).
    var observing = false
    /// Records noted since the last ``drainObservations()``, in order.
    private var observations: [Observation] = []
    /// Wire bytes of whole records sent and received so far: each direction's TCP stream offset.
    private(set) var bytesSent = 0
    private(set) var bytesReceived = 0

    /// The records noted since the last call, oldest first.
    mutating func drainObservations() -> [Observation] {
        defer { observations = [] }
        return observations
    }

    private mutating func observe(
        _ direction: TLSDirection, protection: RecordProtection?, outer: UInt8, inner: UInt8, length: Int, wire: Int
    ) {
        let offset = direction == .sent ? bytesSent : bytesReceived
        if direction == .sent { bytesSent += wire } else { bytesReceived += wire }
        guard observing else { return }
        observations.append(Observation(
            direction: direction, epoch: protection?.epoch ?? .plaintext, generation: protection?.generation ?? 0,
            outerType: outer, innerType: inner, plaintextLength: length, wireLength: wire, streamOffset: offset))
    }

    /// Counts (and notes) records the handshake framed itself: the first ClientHello (legacy_record_version 0x0301)
    /// and the compatibility change_cipher_spec.
    mutating func noteRawRecords(_ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while rest.count >= Self.headerLength {
            let type = rest[rest.startIndex]
            let length = Int(rest[rest.startIndex + 3]) << 8 | Int(rest[rest.startIndex + 4])
            let wire = min(rest.count, Self.headerLength + length)
            observe(.sent, protection: nil, outer: type, inner: type, length: length, wire: wire)
            rest = rest.dropFirst(wire)
        }
    }

    /// Bytes received but not yet consumed as a whole record.
    var bufferedByteCount: Int { buffer.count - start + pending.count }

    /// Whether bytes of the latest ``receive(_:)`` are still read in place (a reference to the caller's array).
    var hasUnprocessedInput: Bool { !pending.isEmpty }

    /// Appends bytes from the transport.
    mutating func receive(_ bytes: [UInt8]) {
        receive(bytes[...])
    }

    /// Takes bytes from the transport. They are read where they are until ``nextRecord()`` returns `nil`; only
    /// the start of an incomplete record is copied.
    mutating func receive(_ bytes: ArraySlice<UInt8>) {
        releaseInput()
        var rest = bytes
        if start < buffer.count {
            // Complete the buffered record (header first, then its body) from the new bytes; the rest stays in place.
            let headerMissing = max(0, Self.headerLength - (buffer.count - start))
            if headerMissing > 0 {
                let n = min(headerMissing, rest.count)
                buffer.append(contentsOf: rest.prefix(n))
                rest = rest.dropFirst(n)
            }
            if buffer.count - start >= Self.headerLength {
                let length = Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
                let bodyMissing = max(0, Self.headerLength + length - (buffer.count - start))
                let n = min(bodyMissing, rest.count)
                buffer.append(contentsOf: rest.prefix(n))
                rest = rest.dropFirst(n)
            }
        }
        pending = rest
    }

    /// Moves the unconsumed received bytes into the record layer's own buffer, releasing the array that
    /// ``receive(_:)`` was given. Call before reusing that array.
    mutating func releaseInput() {
        guard !pending.isEmpty else {
            pending = []
            return
        }
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 2 * (Self.headerLength + Self.maxCiphertext))
            start = 0
        } else if start > 4096, start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: pending)
        pending = []
    }

    /// The next complete record, deprotected; `nil` when more bytes are needed. Dropped
    /// change_cipher_spec records are consumed silently.
    mutating func nextRecord() throws(TLSError) -> InboundRecord? {
        while true {
            if start < buffer.count {
                // An incomplete record carried over (completed by `receive` if the bytes arrived).
                let (record, consumed) = try parseRecord(in: buffer[start...])
                guard consumed > 0 else {
                    // Rare: `receive` completes a buffered record from the new bytes, unless the buffer held
                    // several records (the caller stopped reading records before `nil`). Join the bytes.
                    guard !pending.isEmpty else { return nil }
                    buffer.append(contentsOf: pending)
                    pending = []
                    continue
                }
                start += consumed
                if start == buffer.count {
                    buffer.removeAll(keepingCapacity: buffer.capacity <= 2 * (Self.headerLength + Self.maxCiphertext))
                    start = 0
                }
                if let record { return record }
                continue
            }
            guard !pending.isEmpty else { return nil }
            let (record, consumed) = try parseRecord(in: pending)
            guard consumed > 0 else {
                releaseInput()
                return nil
            }
            pending = pending.dropFirst(consumed)
            if pending.isEmpty { pending = [] }  // drop the reference to the caller's array
            if let record { return record }
        }
    }

    private mutating func parseRecord(in bytes: ArraySlice<UInt8>) throws(TLSError) -> (InboundRecord?, consumed: Int) {
        let result: Result<(InboundRecord?, consumed: Int), TLSError> = bytes.withUnsafeBytes { raw in
            do throws(TLSError) { return .success(try parseRecord(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses (and deprotects) the record at the start of `bytes`. Returns the record (`nil` for a dropped
    /// change_cipher_spec) and the bytes it took; `consumed == 0` when the record is not complete yet.
    private mutating func parseRecord(_ bytes: UnsafeRawBufferPointer) throws(TLSError) -> (InboundRecord?, consumed: Int) {
        guard bytes.count >= Self.headerLength else { return (nil, 0) }
        let type = ContentType(rawValue: bytes[0])
        // legacy_record_version is ignored on receipt (§5.1), but a first byte that is not 0x03 cannot
        // be TLS at all: fail fast rather than wait for a bogus length.
        guard bytes[1] == 0x03 else {
            throw TLSError.decode(reason: "record header has version 0x\(hex16(UInt16(bytes[1]) << 8 | UInt16(bytes[2])))")
        }
        let length = Int(bytes[3]) << 8 | Int(bytes[4])
        let protected = readProtection != nil && type == .applicationData
        if length > (protected ? Self.maxCiphertext : Self.maxPlaintext) {
            throw TLSError.protocolViolation(
                alert: .recordOverflow, reason: "record length \(length) exceeds \(protected ? "2^14+256" : "2^14")")
        }
        guard bytes.count - Self.headerLength >= length else { return (nil, 0) }
        let consumed = Self.headerLength + length
        let body = UnsafeRawBufferPointer(rebasing: bytes[Self.headerLength..<consumed])

        switch type {
        case .changeCipherSpec:
            guard allowsChangeCipherSpec, length == 1, body[0] == 0x01 else {
                throw TLSError.unexpected("unexpected change_cipher_spec record")
            }
            try countEmptyRecord()
            observe(.received, protection: nil, outer: type.rawValue, inner: type.rawValue, length: 1, wire: consumed)
            return (nil, consumed)  // dropped without further processing (§5)
        case .applicationData where readProtection != nil:
            guard let protection = readProtection else { return (nil, consumed) }
            // The AEAD adds exactly its tag: this is the TLSInnerPlaintext length, known before decrypting.
            if let limit = maxInboundInnerPlaintext, length - protection.aead.algorithm.tagLength > limit {
                throw TLSError.protocolViolation(
                    alert: .recordOverflow,
                    reason: "record of \(length - protection.aead.algorithm.tagLength) plaintext bytes exceeds "
                        + "our record_size_limit of \(limit)")
            }
            // The header as received is the AEAD's additional data (§5.2).
            let header = UnsafeRawBufferPointer(rebasing: bytes[0..<Self.headerLength])
            let (inner, content) = try protection.open(header: header, body: body)
            let record = try checked(InboundRecord(contentType: inner, payload: content, wasEncrypted: true))
            observe(.received, protection: protection, outer: type.rawValue, inner: inner.rawValue, length: content.count,
                    wire: consumed)
            return (record, consumed)
        case .handshake, .alert:
            guard readProtection == nil else {
                throw TLSError.unexpected("unprotected \(type) record after keys were installed")
            }
            let record = try checked(InboundRecord(contentType: type, payload: Array(body), wasEncrypted: false))
            observe(.received, protection: nil, outer: type.rawValue, inner: type.rawValue, length: length, wire: consumed)
            return (record, consumed)
        case .applicationData:
            throw TLSError.unexpected("application data before the handshake keys")
        default:
            throw TLSError.unexpected("record of unknown content type \(type.rawValue)")
        }
    }

    private mutating func countEmptyRecord() throws(TLSError) {
        consecutiveEmptyRecords += 1
        guard consecutiveEmptyRecords <= Self.maxConsecutiveEmptyRecords else {
            throw TLSError.unexpected(
                "more than \(Self.maxConsecutiveEmptyRecords) consecutive empty records (empty application data or change_cipher_spec)")
        }
    }

    private mutating func checked(_ record: InboundRecord) throws(TLSError) -> InboundRecord {
        if record.payload.isEmpty, record.contentType == .applicationData {
            try countEmptyRecord()
        } else {
            consecutiveEmptyRecords = 0
        }
        switch record.contentType {
        case .handshake:
            // §5.1: zero-length handshake fragments are forbidden, even with padding.
            guard !record.payload.isEmpty else { throw TLSError.unexpected("zero-length handshake record") }
        case .alert:
            guard record.payload.count == 2 else {
                throw TLSError.decode(reason: "alert record of \(record.payload.count) bytes")
            }
        case .applicationData:
            break  // zero-length application data is allowed (traffic analysis protection)
        case .changeCipherSpec:
            throw TLSError.unexpected("encrypted change_cipher_spec record")
        default:
            throw TLSError.unexpected("record of unknown content type \(record.contentType.rawValue)")
        }
        return record
    }

    /// Frames `payload` as records of `contentType` (fragmented to ``maxOutboundPlaintext``), protected
    /// when write keys are installed, and appends them to `out`.
    mutating func write(_ contentType: ContentType, payload: ArraySlice<UInt8>, into out: inout [UInt8]) throws(TLSError) {
        var offset = payload.startIndex
        repeat {
            let end = min(offset + maxOutboundPlaintext, payload.endIndex)
            let fragment = payload[offset..<end]
            let before = out.count
            if let protection = writeProtection {
                try protection.seal(contentType: contentType, payload: fragment, padding: outboundPadding, into: &out)
                observe(.sent, protection: protection, outer: ContentType.applicationData.rawValue,
                        inner: contentType.rawValue, length: fragment.count, wire: out.count - before)
            } else {
                out.append(contentType.rawValue)
                // legacy_record_version: 0x0301 for the initial ClientHello is allowed; 0x0303 everywhere else.
                out.append(contentsOf: [0x03, 0x03, UInt8(fragment.count >> 8), UInt8(fragment.count & 0xff)])
                out.append(contentsOf: fragment)
                observe(.sent, protection: nil, outer: contentType.rawValue, inner: contentType.rawValue,
                        length: fragment.count, wire: out.count - before)
            }
            offset = end
        } while offset < payload.endIndex
    }

    /// An unprotected change_cipher_spec record (middlebox compatibility, §D.4).
    static let changeCipherSpecRecord: [UInt8] = [ContentType.changeCipherSpec.rawValue, 0x03, 0x03, 0x00, 0x01, 0x01]
}
