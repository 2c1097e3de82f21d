import CBrotli
import CZlib
import CZstd
import Foundation
@testable import TLS13

/// Decompression bombs: long runs of zeros compressed with each RFC 8879 algorithm, made by streaming 1 MiB chunks
/// through the system libraries' encoders at their fastest settings (the expansion never exists in memory; under a
/// second of CPU each). Made once per test process.
enum CompressionBomb {
    /// The expanded size of each bomb: 1 GiB for brotli and zstd; 64 MiB for zlib, whose format caps the ratio near
    /// 1:1032 (a 1 GiB zlib bomb is a megabyte and takes half a minute to make) — still four times the largest
    /// `uncompressed_length` a CompressedCertificate can declare. Sizes: zlib ≈ 290 KB, brotli ≈ 190 KB, zstd ≈ 32 KB.
    static func expandedSize(_ algorithm: CertificateCompressionAlgorithm) -> Int {
        algorithm == .zlib ? 64 << 20 : 1 << 30
    }

    static let zlib = make(.zlib)
    static let brotli = make(.brotli)
    static let zstd = make(.zstd)

    static func bomb(_ algorithm: CertificateCompressionAlgorithm) -> [UInt8] {
        switch algorithm {
        case .zlib: zlib
        case .brotli: brotli
        default: zstd
        }
    }

    private static func make(_ algorithm: CertificateCompressionAlgorithm) -> [UInt8] {
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        let chunks = expandedSize(algorithm) / chunk.count
        switch algorithm {
        case .zlib: return deflate(chunk, times: chunks)
        case .brotli: return brotli(chunk, times: chunks)
        default: return zstd(chunk, times: chunks)
        }
    }

    private static func deflate(_ chunk: [UInt8], times: Int) -> [UInt8] {
        var stream = z_stream()
        precondition(CZlib_deflateInit(&stream, 1) == Z_OK)  // level 1: fastest to make, still 1:230
        defer { deflateEnd(&stream) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        func pump(_ input: [UInt8], flush: Int32) {
            var input = input
            input.withUnsafeMutableBufferPointer { inp in
                stream.next_in = inp.baseAddress
                stream.avail_in = UInt32(inp.count)
                repeat {
                    buffer.withUnsafeMutableBufferPointer { b in
                        stream.next_out = b.baseAddress
                        stream.avail_out = UInt32(b.count)
                        _ = CZlib.deflate(&stream, flush)
                        out.append(contentsOf: b[..<(b.count - Int(stream.avail_out))])
                    }
                } while stream.avail_out == 0
            }
        }
        for _ in 0..<times { pump(chunk, flush: Z_NO_FLUSH) }
        pump([], flush: Z_FINISH)
        return out
    }

    private static func brotli(_ chunk: [UInt8], times: Int) -> [UInt8] {
        guard let state = BrotliEncoderCreateInstance(nil, nil, nil) else { preconditionFailure("brotli encoder") }
        defer { BrotliEncoderDestroyInstance(state) }
        _ = BrotliEncoderSetParameter(state, BROTLI_PARAM_QUALITY, 1)  // fastest to make, still 1:5,000
        _ = BrotliEncoderSetParameter(state, BROTLI_PARAM_LGWIN, 24)
        var out: [UInt8] = []
        func pump(_ input: [UInt8], _ op: BrotliEncoderOperation) {
            input.withUnsafeBufferPointer { inp in
                var availableIn = inp.count
                var nextIn = inp.baseAddress
                repeat {
                    var availableOut = 0
                    var nextOut: UnsafeMutablePointer<UInt8>?
                    precondition(BrotliEncoderCompressStream(state, op, &availableIn, &nextIn, &availableOut, &nextOut, nil)
                                 == BROTLI_TRUE)
                    var size = 0
                    if let taken = BrotliEncoderTakeOutput(state, &size), size > 0 {
                        out.append(contentsOf: UnsafeBufferPointer(start: taken, count: size))
                    }
                } while availableIn > 0 || BrotliEncoderHasMoreOutput(state) == BROTLI_TRUE
                    || (op == BROTLI_OPERATION_FINISH && BrotliEncoderIsFinished(state) != BROTLI_TRUE)
            }
        }
        for _ in 0..<times { pump(chunk, BROTLI_OPERATION_PROCESS) }
        pump([], BROTLI_OPERATION_FINISH)
        return out
    }

    /// A zstd frame without a content size (streamed), so the decoder cannot refuse it from the header alone.
    private static func zstd(_ chunk: [UInt8], times: Int) -> [UInt8] {
        guard let context = ZSTD_createCCtx() else { preconditionFailure("zstd encoder") }
        defer { ZSTD_freeCCtx(context) }
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, 3)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        func pump(_ input: [UInt8], _ directive: ZSTD_EndDirective) {
            input.withUnsafeBytes { inp in
                var inBuffer = ZSTD_inBuffer(src: inp.baseAddress, size: inp.count, pos: 0)
                var remaining = 0
                repeat {
                    buffer.withUnsafeMutableBytes { b in
                        var outBuffer = ZSTD_outBuffer(dst: b.baseAddress, size: b.count, pos: 0)
                        remaining = ZSTD_compressStream2(context, &outBuffer, &inBuffer, directive)
                        precondition(ZSTD_isError(remaining) == 0)
                        out.append(contentsOf: b[..<outBuffer.pos])
                    }
                } while inBuffer.pos < inBuffer.size || (directive == ZSTD_e_end && remaining != 0)
            }
        }
        for _ in 0..<times { pump(chunk, ZSTD_e_continue) }
        pump([], ZSTD_e_end)
        return out
    }
}
