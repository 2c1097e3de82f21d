#if canImport(CZlib) && canImport(CBrotli) && canImport(CZstd)
internal import CZlib
internal import CBrotli
internal import CZstd
#endif

/// Compresses a Certificate message body for a CompressedCertificate (RFC 8879 §4), at each library's strongest
/// setting: what a server does once per chain and caches. The client itself only decompresses; this serves the tests
/// (round trips, the test servers' messages) and the size measurements of Docs/Interop.md.
enum CertificateCompressor {
    /// The settings used, as Docs/Interop.md quotes them.
    static let settings: [CertificateCompressionAlgorithm: String] = [
        .zlib: "zlib level 9", .brotli: "brotli quality 11, window 2^22", .zstd: "zstd level 19",
    ]

    /// `data` compressed with `algorithm`.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for an algorithm this build does not implement,
    ///   ``TLSError/internalError(_:)`` when the library fails.
    static func compress(_ algorithm: CertificateCompressionAlgorithm, _ data: [UInt8]) throws(TLSError) -> [UInt8] {
        #if canImport(CZlib) && canImport(CBrotli) && canImport(CZstd)
        switch algorithm {
        case .zlib:
            var length = compressBound(UInt(data.count))
            var out = [UInt8](repeating: 0, count: Int(length))
            let rc = out.withUnsafeMutableBufferPointer { o in
                data.withUnsafeBufferPointer { i in compress2(o.baseAddress, &length, i.baseAddress, UInt(i.count), 9) }
            }
            guard rc == Z_OK else { throw .internalError("zlib compress2 failed (\(rc))") }
            return Array(out[..<Int(length)])
        case .brotli:
            var length = BrotliEncoderMaxCompressedSize(data.count)
            guard length > 0 else { throw .internalError("brotli: input too large") }
            var out = [UInt8](repeating: 0, count: length)
            let ok = out.withUnsafeMutableBufferPointer { o in
                data.withUnsafeBufferPointer { i in
                    BrotliEncoderCompress(11, 22, BROTLI_MODE_GENERIC, i.count, i.baseAddress, &length, o.baseAddress)
                }
            }
            guard ok == BROTLI_TRUE else { throw .internalError("BrotliEncoderCompress failed") }
            return Array(out[..<length])
        case .zstd:
            var out = [UInt8](repeating: 0, count: ZSTD_compressBound(data.count))
            let rc = out.withUnsafeMutableBytes { o in
                data.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, o.count, i.baseAddress, i.count, 19) }
            }
            guard ZSTD_isError(rc) == 0 else { throw .internalError("ZSTD_compress failed") }
            return Array(out[..<rc])
        default:
            throw .invalidConfiguration("certificate compression algorithm \(algorithm) is not implemented")
        }
        #else
        throw .invalidConfiguration("certificate compression is not in this build")
        #endif
    }

    /// A CompressedCertificate carrying `certificate` compressed with `algorithm`.
    static func compressedCertificate(
        _ certificate: CertificateMessage, algorithm: CertificateCompressionAlgorithm
    ) throws(TLSError) -> CompressedCertificate {
        let body = try ByteWriter.encoding("Certificate", reservingCapacity: 4096) {
            (w) throws(EncodingError) in try certificate.encode(into: &w)
        }
        return CompressedCertificate(
            algorithm: algorithm, uncompressedLength: body.count, compressedCertificateMessage: try compress(algorithm, body))
    }
}
