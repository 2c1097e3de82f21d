/// An alert record's content (RFC 8446 §6): `AlertLevel level; AlertDescription description;`.
///
/// In TLS 1.3 the level carries no meaning on receipt: every alert except `close_notify` and
/// `user_canceled` is fatal, whatever its level.
struct Alert: Hashable, Sendable {
    var level: AlertLevel
    var description: AlertDescription

    init(level: AlertLevel, description: AlertDescription) {
        self.level = level
        self.description = description
    }

    /// The alert to send for `description`: `warning` for `close_notify` and `user_canceled`, `fatal`
    /// for every other (RFC 8446 §6).
    init(_ description: AlertDescription) {
        let isClosure = description == .closeNotify || description == .userCanceled
        self.init(level: isClosure ? .warning : .fatal, description: description)
    }

    /// Parses an alert record's plaintext, which must be exactly two bytes (`decode_error` otherwise).
    init(bytes: [UInt8]) throws(TLSError) {
        var reader = ByteReader(bytes)
        try self.init(from: &reader)
        try reader.expectEmpty("alert")
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        level = AlertLevel(rawValue: try reader.readUInt8("alert level"))
        description = AlertDescription(rawValue: try reader.readUInt8("alert description"))
    }

    func encode(into writer: inout ByteWriter) {
        writer.writeUInt8(level.rawValue)
        writer.writeUInt8(description.rawValue)
    }

    /// The two bytes of the alert.
    var encoded: [UInt8] { [level.rawValue, description.rawValue] }

    /// Whether this alert closes the connection without error (`close_notify`, `user_canceled`).
    var isClosure: Bool { description == .closeNotify || description == .userCanceled }
}
