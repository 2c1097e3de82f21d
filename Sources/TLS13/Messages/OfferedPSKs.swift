/// The ClientHello `pre_shared_key` extension body (RFC 8446 §4.2.11): identities and their binders.
///
/// The binders are an HMAC over the ClientHello truncated just before the binder list, so the client
/// encodes the ClientHello once with placeholder binders of the right lengths, hashes
/// ``ClientHello/truncatedForBinders()``, then replaces them with ``ClientHello/settingBinders(_:)``.
struct OfferedPSKs: Hashable, Sendable {
    /// `PskIdentity`: a ticket (or external identity) and its obfuscated age.
    struct Identity: Hashable, Sendable {
        /// `opaque identity<1..2^16-1>`.
        var identity: [UInt8]
        /// Ticket age in milliseconds plus `ticket_age_add`, mod 2^32 (0 for external PSKs).
        var obfuscatedTicketAge: UInt32
    }

    /// `PskIdentity identities<7..2^16-1>`.
    var identities: [Identity]
    /// `PskBinderEntry binders<33..2^16-1>`, each `opaque PskBinderEntry<32..255>`, one per identity.
    var binders: [[UInt8]]

    init(identities: [Identity], binders: [[UInt8]]) {
        self.identities = identities
        self.binders = binders
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        var ids = try reader.readVectorReader(lengthBytes: 2, range: 7...0xFFFF, "identities")
        identities = []
        while !ids.isEmpty {
            let identity = try ids.readVector(lengthBytes: 2, range: 1...0xFFFF, "identity")
            let age = try ids.readUInt32("obfuscated_ticket_age")
            identities.append(Identity(identity: identity, obfuscatedTicketAge: age))
        }
        var list = try reader.readVectorReader(lengthBytes: 2, range: 33...0xFFFF, "binders")
        binders = []
        while !list.isEmpty { binders.append(try list.readVector(lengthBytes: 1, range: 32...255, "PskBinderEntry")) }
        guard binders.count == identities.count else {
            throw TLSError.illegalParameter(
                "pre_shared_key: \(identities.count) identities but \(binders.count) binders")
        }
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        try writer.withLengthPrefix(2) { (w) throws(EncodingError) in
            for id in identities {
                try w.writeVector(2, id.identity)
                w.writeUInt32(id.obfuscatedTicketAge)
            }
        }
        try writeBinders(into: &writer)
    }

    func writeBinders(into writer: inout ByteWriter) throws(EncodingError) {
        try writer.withLengthPrefix(2) { (w) throws(EncodingError) in
            for binder in binders { try w.writeVector(1, binder) }
        }
    }

    /// The encoded length of the binder list including its two-byte length: the bytes that
    /// ``ClientHello/truncatedForBinders()`` leaves off.
    var bindersEncodedLength: Int {
        binders.reduce(2) { $0 + 1 + $1.count }
    }
}
