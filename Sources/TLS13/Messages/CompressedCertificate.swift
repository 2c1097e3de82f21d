// TLS Certificate Compression (RFC 8879): the `compress_certificate` extension and the CompressedCertificate message.
// Decompression itself is Compression/CertificateDecompressor.swift.

/// The `compress_certificate` extension (RFC 8879 §3), in ClientHello (and CertificateRequest):
/// `CertificateCompressionAlgorithm algorithms<2..2^8-2>;` — the algorithms the sender can decompress, in preference
/// order.
struct CompressCertificateExtension: Hashable, Sendable {
    var algorithms: [CertificateCompressionAlgorithm]

    init(algorithms: [CertificateCompressionAlgorithm]) {
        self.algorithms = algorithms
    }

    /// - Throws: `decode_error` for a length outside 2...254, an odd length, or trailing bytes.
    init(body: [UInt8]) throws(TLSError) {
        var reader = ByteReader(body)
        algorithms = try reader.readUInt16List(lengthBytes: 1, range: 2...254, "compress_certificate algorithms")
            .map(CertificateCompressionAlgorithm.init(rawValue:))
        try reader.expectEmpty("compress_certificate")
    }

    var body: [UInt8] {
        get throws(TLSError) {
            try ByteWriter.encoding("compress_certificate") { (w) throws(EncodingError) in
                try w.writeUInt16List(lengthBytes: 1, algorithms.map(\.rawValue))
            }
        }
    }

    var clientHelloExtension: ClientHelloExtension {
        get throws(TLSError) { .unknown(.compressCertificate, try body) }
    }

    /// The extension of `hello`, parsed, or `nil` when it has none.
    init?(in hello: ClientHello) throws(TLSError) {
        guard case .unknown(.compressCertificate, let body)? = hello.extension(.compressCertificate) else { return nil }
        try self.init(body: body)
    }
}

/// CompressedCertificate (RFC 8879 §4), handshake type 25: it replaces the Certificate message.
///
/// ```
/// struct {
///      CertificateCompressionAlgorithm algorithm;
///      uint24 uncompressed_length;
///      opaque compressed_certificate_message<1..2^24-1>;
/// } CompressedCertificate;
/// ```
///
/// `compressed_certificate_message` holds a whole Certificate message body (RFC 8446 §4.4.2, without the handshake
/// header) once decompressed; `uncompressed_length` is its length. The transcript takes the CompressedCertificate as
/// received, not the decompressed Certificate (RFC 8879 §4).
struct CompressedCertificate: Hashable, Sendable {
    var algorithm: CertificateCompressionAlgorithm
    var uncompressedLength: Int
    var compressedCertificateMessage: [UInt8]

    init(algorithm: CertificateCompressionAlgorithm, uncompressedLength: Int, compressedCertificateMessage: [UInt8]) {
        self.algorithm = algorithm
        self.uncompressedLength = uncompressedLength
        self.compressedCertificateMessage = compressedCertificateMessage
    }

    /// Parses the message body (after the handshake header); all of it must be consumed.
    init(from reader: inout ByteReader) throws(TLSError) {
        algorithm = CertificateCompressionAlgorithm(rawValue: try reader.readUInt16("CompressedCertificate algorithm"))
        uncompressedLength = try reader.readUInt24("uncompressed_length")
        compressedCertificateMessage = try reader.readVector(
            lengthBytes: 3, range: 1...0xFF_FFFF, "compressed_certificate_message")
    }

    /// Parses a whole body.
    init(body: [UInt8]) throws(TLSError) {
        var reader = ByteReader(body)
        try self.init(from: &reader)
        try reader.expectEmpty("CompressedCertificate")
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        writer.writeUInt16(algorithm.rawValue)
        try writer.writeUInt24(uncompressedLength)
        try writer.writeVector(3, compressedCertificateMessage)
    }

    /// The whole handshake message, header included (type 25): what goes into the transcript.
    var handshakeMessage: [UInt8] {
        get throws(TLSError) { try HandshakeMessage.compressedCertificate(self).encoded }
    }

    /// Decompresses and parses the Certificate inside (RFC 8879 §4).
    ///
    /// - Parameters:
    ///   - offered: the decompressors of the algorithms the client offered in `compress_certificate`.
    ///   - maximumLength: the largest `uncompressed_length` accepted (the configuration's largest handshake message,
    ///     at most 2^24 − 1).
    /// - Throws: `illegal_parameter` for an algorithm the client did not offer (RFC 8879 §4: "The algorithm MUST be
    ///   one of the algorithms listed in the peer's compress_certificate extension"); `bad_certificate` when the
    ///   declared length is over `maximumLength`, the data does not decompress, or it decompresses to another length
    ///   (§4); `decode_error` when the result is not a Certificate message.
    func decompressedCertificate(
        offered: [TLSCertificateDecompressor], maximumLength: Int
    ) throws(TLSError) -> CertificateMessage {
        guard let decompressor = offered.first(where: { $0.algorithm == algorithm }) else {
            throw TLSError.illegalParameter("CompressedCertificate with \(algorithm), which the client did not offer")
        }
        let body = try decompressor.decompress(
            compressedCertificateMessage, uncompressedLength: uncompressedLength, limit: maximumLength)
        var reader = ByteReader(body)
        let certificate = try CertificateMessage(from: &reader)
        try reader.expectEmpty("decompressed Certificate")
        return certificate
    }
}
