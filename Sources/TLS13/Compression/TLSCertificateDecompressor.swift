/// A certificate compression algorithm the client offers in `compress_certificate` (RFC 8879) and can decompress the
/// server's CompressedCertificate with (``TLSClientConfiguration/certificateDecompressors``).
///
/// The library's own are ``zstd``, ``brotli`` and ``zlib``, over the system's libraries, bounded as
/// `Docs/Architecture.md` ("Certificate compression") describes. An application may add its own algorithm
/// (``init(algorithm:decompress:)``) — an expert feature, for private code points and tests.
///
/// Whatever the algorithm, the library checks the CompressedCertificate's declared `uncompressed_length` against
/// ``TLSClientConfiguration/maxHandshakeMessageSize`` before decompressing (over it: `bad_certificate`), and that the
/// result has exactly that length (else `bad_certificate`); a CompressedCertificate with an algorithm that was not
/// offered is `illegal_parameter` (RFC 8879 §4).
public struct TLSCertificateDecompressor: Sendable, CustomStringConvertible {
    /// The code point offered and expected in CompressedCertificate.algorithm.
    public let algorithm: CertificateCompressionAlgorithm
    let implementation: Implementation

    enum Implementation: Sendable {
        /// ``CertificateDecompressor`` over the system library.
        case system
        /// The application's closure.
        case custom(@Sendable (_ compressed: [UInt8], _ uncompressedLength: Int) -> [UInt8]?)
    }

    /// Zstandard (RFC 8878), through the system's libzstd.
    public static let zstd = TLSCertificateDecompressor(algorithm: .zstd, implementation: .system)
    /// Brotli (RFC 7932), through the system's libbrotlidec.
    public static let brotli = TLSCertificateDecompressor(algorithm: .brotli, implementation: .system)
    /// zlib (RFC 1950), through the system's zlib.
    public static let zlib = TLSCertificateDecompressor(algorithm: .zlib, implementation: .system)

    /// The library's own, in its preference order: zstd (the fastest to decode), brotli (the smallest on
    /// certificates), zlib. Empty in a build without the system libraries.
    public static var builtIn: [TLSCertificateDecompressor] {
        CertificateDecompressor.supportedAlgorithms.map { TLSCertificateDecompressor(algorithm: $0, implementation: .system) }
    }

    /// An application's own algorithm.
    ///
    /// - Parameters:
    ///   - algorithm: its code point (not one of the library's own three, which are ``zstd``, ``brotli``, ``zlib``).
    ///   - decompress: gets the compressed bytes and the declared length (already checked against the configured
    ///     limit) and returns the Certificate message body, or `nil` when the data does not decompress
    ///     (`bad_certificate`). It runs on the handshake's thread, on data from a server not yet authenticated: it
    ///     must bound its own time and memory (never produce more than `uncompressedLength` bytes).
    public init(
        algorithm: CertificateCompressionAlgorithm,
        decompress: @escaping @Sendable (_ compressed: [UInt8], _ uncompressedLength: Int) -> [UInt8]?
    ) {
        self.algorithm = algorithm
        self.implementation = .custom(decompress)
    }

    init(algorithm: CertificateCompressionAlgorithm, implementation: Implementation) {
        self.algorithm = algorithm
        self.implementation = implementation
    }

    /// Whether this is one of the library's own (``zstd``, ``brotli``, ``zlib``).
    public var isBuiltIn: Bool {
        if case .system = implementation { return true }
        return false
    }

    /// The algorithm's name: `zstd`, `brotli`, `zlib`, or `compression(0x…)` for another code point.
    public var description: String { "\(algorithm)" }

    /// Decompresses `data` into exactly `uncompressedLength` bytes, refusing lengths over `limit` before anything is
    /// allocated.
    ///
    /// - Throws: `bad_certificate` when the length is over `limit`, the data does not decompress, or the result has
    ///   another length; `illegal_parameter` for a built-in algorithm this build lacks.
    func decompress(_ data: [UInt8], uncompressedLength: Int, limit: Int) throws(TLSError) -> [UInt8] {
        switch implementation {
        case .system:
            return try CertificateDecompressor.decompress(
                algorithm, data, uncompressedLength: uncompressedLength, limit: limit)
        case .custom(let decompress):
            let bound = min(limit, CertificateDecompressor.maximumLength)
            guard uncompressedLength >= 0, uncompressedLength <= bound else {
                throw CertificateDecompressor.badCertificate(
                    "uncompressed_length \(uncompressedLength) is over the limit of \(bound) bytes")
            }
            guard let output = decompress(data, uncompressedLength) else {
                throw CertificateDecompressor.badCertificate("\(algorithm) data does not decompress")
            }
            guard output.count == uncompressedLength else {
                throw CertificateDecompressor.badCertificate(
                    "\(algorithm) data decompresses to \(output.count) bytes, not the declared \(uncompressedLength)")
            }
            return output
        }
    }
}
