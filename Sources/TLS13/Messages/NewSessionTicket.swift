/// NewSessionTicket (RFC 8446 §4.6.1).
///
/// ```
/// struct {
///     uint32 ticket_lifetime;
///     uint32 ticket_age_add;
///     opaque ticket_nonce<0..255>;
///     opaque ticket<1..2^16-1>;
///     Extension extensions<0..2^16-2>;
/// } NewSessionTicket;
/// ```
///
/// Parsing does not judge values: a lifetime over 604800 seconds (7 days) is the Handshake layer's to
/// reject or clamp.
struct NewSessionTicket: Hashable, Sendable {
    /// Seconds the ticket may be used for, from issue.
    var ticketLifetime: UInt32
    /// Added (mod 2^32) to the ticket age in milliseconds to form `obfuscated_ticket_age`.
    var ticketAgeAdd: UInt32
    /// Input to the resumption PSK derivation (`HKDF-Expand-Label(res master, "resumption", nonce, …)`).
    var ticketNonce: [UInt8]
    /// Opaque to the client; sent back as a PSK identity.
    var ticket: [UInt8]
    var extensions: [NewSessionTicketExtension]

    init(
        ticketLifetime: UInt32, ticketAgeAdd: UInt32, ticketNonce: [UInt8], ticket: [UInt8],
        extensions: [NewSessionTicketExtension] = []
    ) {
        self.ticketLifetime = ticketLifetime
        self.ticketAgeAdd = ticketAgeAdd
        self.ticketNonce = ticketNonce
        self.ticket = ticket
        self.extensions = extensions
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        ticketLifetime = try reader.readUInt32("ticket_lifetime")
        ticketAgeAdd = try reader.readUInt32("ticket_age_add")
        ticketNonce = try reader.readVector(lengthBytes: 1, range: 0...255, "ticket_nonce")
        ticket = try reader.readVector(lengthBytes: 2, range: 1...0xFFFF, "ticket")
        extensions = try ExtensionBlock.read(NewSessionTicketExtension.self, from: &reader, range: 0...0xFFFE)
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        precondition(!ticket.isEmpty, "ticket<1..2^16-1>")
        writer.writeUInt32(ticketLifetime)
        writer.writeUInt32(ticketAgeAdd)
        try writer.writeVector(1, ticketNonce)
        try writer.writeVector(2, ticket)
        try ExtensionBlock.write(extensions, into: &writer)
    }

    /// `early_data.max_early_data_size`, if the ticket allows 0-RTT.
    var maxEarlyDataSize: UInt32? {
        for case .earlyData(let size) in extensions { return size }
        return nil
    }
}
