/// The body of a `status_request` extension in a server's CertificateEntry (RFC 8446 §4.4.2.1, RFC 6066 §8):
///
/// ```
/// struct {
///     CertificateStatusType status_type;   // ocsp(1)
///     select (status_type) {
///         case ocsp: OCSPResponse;          // opaque OCSPResponse<1..2^24-1>
///     } response;
/// } CertificateStatus;
/// ```
///
/// Only the OCSP type exists; the DER `OCSPResponse` (RFC 6960) is kept as bytes for the Crypto layer to check.
struct CertificateStatus: Hashable, Sendable {
    /// `CertificateStatusType.ocsp`.
    static let ocspType: UInt8 = 1

    /// The DER-encoded OCSPResponse.
    var ocspResponse: [UInt8]

    init(ocspResponse: [UInt8]) {
        self.ocspResponse = ocspResponse
    }

    /// Parses an extension body.
    ///
    /// - Throws: `decode_error` when the body is truncated, has trailing bytes or an empty response;
    ///   `bad_certificate_status_response` for a status_type other than ocsp(1), which the client never asks for.
    init(body: [UInt8]) throws(TLSError) {
        var reader = ByteReader(body)
        let type = try reader.readUInt8("status_type")
        guard type == Self.ocspType else {
            throw TLSError.protocolViolation(
                alert: .badCertificateStatusResponse, reason: "CertificateStatus has status_type \(type), not ocsp(1)")
        }
        ocspResponse = try reader.readVector(lengthBytes: 3, range: 1...0xFF_FFFF, "OCSPResponse")
        try reader.expectEmpty("CertificateStatus")
    }

    /// The extension body.
    var encoded: [UInt8] {
        get throws(EncodingError) {
            var writer = ByteWriter(reservingCapacity: ocspResponse.count + 4)
            writer.writeUInt8(Self.ocspType)
            try writer.writeVector(3, ocspResponse)
            return writer.bytes
        }
    }
}
