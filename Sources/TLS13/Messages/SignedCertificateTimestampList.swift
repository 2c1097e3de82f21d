/// The body of a `signed_certificate_timestamp` extension in the server's CertificateEntry (RFC 6962 §3.3,
/// RFC 8446 §4.4.2.1):
///
///     opaque SerializedSCT<1..2^16-1>;
///     struct { SerializedSCT sct_list <1..2^16-1>; } SignedCertificateTimestampList;
///
/// Only the framing is checked (a non-empty list of non-empty SCTs, nothing left over); the SCTs themselves
/// are kept as bytes for the application (this library does not check them against CT logs).
struct SignedCertificateTimestampList: Equatable {
    /// The extension body as received.
    var bytes: [UInt8]
    /// How many SCTs the list holds.
    var count: Int

    /// - Throws: ``TLSError/decode(reason:alert:)`` for an empty list, an empty SCT, or bad lengths.
    init(body: [UInt8]) throws(TLSError) {
        var count = 0
        do throws(TLSError) {
            var reader = ByteReader(body)
            var list = try reader.readVectorReader(lengthBytes: 2, range: 1...0xFFFF, "sct_list")
            try reader.expectEmpty("signed_certificate_timestamp")
            while !list.isEmpty {
                _ = try list.readVector(lengthBytes: 2, range: 1...0xFFFF, "SerializedSCT")
                count += 1
            }
        } catch {
            let detail: String
            if case .decode(let reason, _) = error { detail = reason } else { detail = error.description }
            throw TLSError.decode(reason: "malformed extension: signed_certificate_timestamp: \(detail)")
        }
        bytes = body
        self.count = count
    }
}
