#if canImport(CZlib) && canImport(CBrotli) && canImport(CZstd)
internal import CZlib
internal import CBrotli
internal import CZstd
#endif

// Certificate decompression for RFC 8879 over the system's zlib, brotli and zstd (the CZlib, CBrotli and CZstd
// system-library targets; Debian zlib1g-dev, libbrotli-dev, libzstd-dev). This folder is at the crypto level: the only
// code that imports those three modules, as Crypto/ is the only code that imports COpenSSL.
//
// A CompressedCertificate comes from the peer before it is authenticated, so a decompression bomb must cost nothing:
// the declared `uncompressed_length` is checked against the limit before anything is allocated, the output buffer is
// exactly that length plus one byte, each library decodes one-shot into it and stops when it is full, and a result of
// any other length is refused. Memory is the output buffer plus each decoder's own state: zlib's 32 KiB window and
// tables, zstd's decompression context (one-shot decoding uses the output as its window), and brotli's ring buffer,
// which the stream sizes but the format caps at 16 MiB (shrunk to the output for a one-metablock stream).
//
// Without the three libraries (the libFuzzer build compiles Sources/TLS13 alone with swiftc) nothing is supported and
// the client offers no compression.

/// Decompresses the `compressed_certificate_message` of a CompressedCertificate (RFC 8879 §4).
enum CertificateDecompressor {
    /// The algorithms this build can decompress, in the client's preference order: zstd (the fastest to decode), then
    /// brotli (the smallest on certificates), then zlib. Empty without the system libraries.
    static var supportedAlgorithms: [CertificateCompressionAlgorithm] {
        #if canImport(CZlib) && canImport(CBrotli) && canImport(CZstd)
        [.zstd, .brotli, .zlib]
        #else
        []
        #endif
    }

    /// The largest `uncompressed_length` a CompressedCertificate can declare: its field is a uint24.
    static let maximumLength = 0xFF_FFFF

    /// Decompresses `data` with `algorithm` into exactly `uncompressedLength` bytes.
    ///
    /// - Parameters:
    ///   - uncompressedLength: the message's `uncompressed_length`.
    ///   - limit: the largest length accepted (the configuration's largest handshake message); at most 2^24 − 1.
    /// - Throws: `bad_certificate` (``TLSError/protocolViolation(alert:reason:)``) when `uncompressedLength` is over
    ///   `limit` (checked before anything is allocated), when the data is corrupt, truncated or followed by other
    ///   bytes, or when it decompresses to more or fewer bytes than declared (decoding stops at one byte more);
    ///   `illegal_parameter` for an algorithm this build does not implement (it was never offered).
    static func decompress(
        _ algorithm: CertificateCompressionAlgorithm, _ data: [UInt8], uncompressedLength: Int, limit: Int
    ) throws(TLSError) -> [UInt8] {
        let bound = min(limit, maximumLength)
        guard uncompressedLength >= 0, uncompressedLength <= bound else {
            throw badCertificate("uncompressed_length \(uncompressedLength) is over the limit of \(bound) bytes")
        }
        guard !data.isEmpty else { throw badCertificate("empty compressed_certificate_message") }
        let capacity = uncompressedLength + 1
        var output = [UInt8](repeating: 0, count: capacity)
        let produced: Int
        #if canImport(CZlib) && canImport(CBrotli) && canImport(CZstd)
        switch algorithm {
        case .zlib: produced = try inflateZlib(data, into: &output)
        case .brotli: produced = try decodeBrotli(data, into: &output)
        case .zstd: produced = try decodeZstd(data, into: &output)
        default: throw TLSError.illegalParameter("certificate compression algorithm \(algorithm) is not implemented")
        }
        #else
        throw TLSError.illegalParameter("certificate compression algorithm \(algorithm) is not in this build")
        #endif
        guard produced == uncompressedLength else {
            throw badCertificate(produced > uncompressedLength
                ? "\(algorithm) data decompresses to more than the declared \(uncompressedLength) bytes"
                : "\(algorithm) data decompresses to \(produced) bytes, not the declared \(uncompressedLength)")
        }
        output.removeLast(capacity - produced)
        return output
    }

    static func badCertificate(_ reason: String) -> TLSError {
        .protocolViolation(alert: .badCertificate, reason: "CompressedCertificate: \(reason)")
    }

    #if canImport(CZlib) && canImport(CBrotli) && canImport(CZstd)

    /// zlib (RFC 1950) with `uncompress2`: decodes until the stream ends or `output` is full.
    private static func inflateZlib(_ data: [UInt8], into output: inout [UInt8]) throws(TLSError) -> Int {
        var outLength = UInt(output.count)
        var inLength = UInt(data.count)
        let rc = output.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBufferPointer { input in
                uncompress2(out.baseAddress, &outLength, input.baseAddress, &inLength)
            }
        }
        switch rc {
        case Z_OK:
            guard inLength == UInt(data.count) else {
                throw badCertificate("\(data.count - Int(inLength)) bytes after the end of the zlib stream")
            }
            return Int(outLength)
        case Z_BUF_ERROR where outLength == UInt(output.count):
            return output.count  // output full before the end: longer than declared
        default:
            throw badCertificate("zlib data does not decompress (error \(rc))")
        }
    }

    /// Brotli (RFC 7932) with one call of the streaming decoder over the whole input and the whole output buffer.
    private static func decodeBrotli(_ data: [UInt8], into output: inout [UInt8]) throws(TLSError) -> Int {
        guard let state = BrotliDecoderCreateInstance(nil, nil, nil) else {
            throw TLSError.internalError("BrotliDecoderCreateInstance failed")
        }
        defer { BrotliDecoderDestroyInstance(state) }
        var availableIn = data.count
        var availableOut = output.count
        let result = output.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBufferPointer { input in
                var nextIn = input.baseAddress
                var nextOut = out.baseAddress
                return BrotliDecoderDecompressStream(state, &availableIn, &nextIn, &availableOut, &nextOut, nil)
            }
        }
        switch result {
        case BROTLI_DECODER_RESULT_SUCCESS:
            guard availableIn == 0 else {
                throw badCertificate("\(availableIn) bytes after the end of the brotli stream")
            }
            return output.count - availableOut
        case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
            return output.count  // longer than declared
        case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
            throw badCertificate("brotli stream is truncated")
        default:
            let code = BrotliDecoderGetErrorCode(state)
            let name = BrotliDecoderErrorString(code).map { String(cString: $0) } ?? "\(code.rawValue)"
            throw badCertificate("brotli data does not decompress (\(name))")
        }
    }

    /// Zstandard (RFC 8478) with `ZSTD_decompressDCtx`: one-shot, the output buffer doubling as the window (so a frame
    /// that declares a large window allocates nothing), refusing frames whose content does not fit.
    private static func decodeZstd(_ data: [UInt8], into output: inout [UInt8]) throws(TLSError) -> Int {
        guard let context = ZSTD_createDCtx() else { throw TLSError.internalError("ZSTD_createDCtx failed") }
        defer { ZSTD_freeDCtx(context) }
        let rc = output.withUnsafeMutableBytes { out in
            data.withUnsafeBytes { input in
                ZSTD_decompressDCtx(context, out.baseAddress, out.count, input.baseAddress, input.count)
            }
        }
        if ZSTD_isError(rc) != 0 {
            if ZSTD_getErrorCode(rc) == ZSTD_error_dstSize_tooSmall { return output.count }  // longer than declared
            let name = ZSTD_getErrorName(rc).map { String(cString: $0) } ?? "error"
            throw badCertificate("zstd data does not decompress (\(name))")
        }
        return Int(rc)
    }

    #endif
}
