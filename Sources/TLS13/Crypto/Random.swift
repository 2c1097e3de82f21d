internal import COpenSSL

/// A source of random bytes. The handshake takes one so tests can inject fixed randomness
/// (RFC 8448 traces) and fuzzers can be deterministic.
protocol RandomSource: Sendable {
    func bytes(_ count: Int) throws(TLSError) -> [UInt8]
}

/// Random bytes from libcrypto's CSPRNG (`RAND_bytes`).
struct SystemRandom: RandomSource {
    func bytes(_ count: Int) throws(TLSError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let rc = out.withUnsafeMutableBytes { RAND_bytes($0.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32($0.count)) }
        try check(rc, "RAND_bytes")
        return out
    }
}
