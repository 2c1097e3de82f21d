/// ClientHello extension permutation (as BoringSSL and Chrome do, `SSL_CTX_set_permute_extensions`): a fresh random
/// order of the extensions per connection, so that servers and middleboxes cannot come to depend on one order and the
/// order does not fingerprint the client.
///
/// What never moves: a leading GREASE extension stays first, and the tail of GREASE extension, `padding` and
/// `pre_shared_key` stays last in its order (RFC 8701 places the GREASE extensions as BoringSSL does, outside the
/// permutation; RFC 7685's padding goes after everything it pads; RFC 8446 §4.2.11 puts `pre_shared_key` last). The
/// types in `together` move as one block, in their order: the extensions a ClientHelloInner compresses into
/// `ech_outer_extensions` must be contiguous (RFC 9849 §5.1). The second ClientHello after a HelloRetryRequest keeps
/// the first one's order (call this once per connection).
enum ExtensionPermutation {
    /// `extensions` in a uniformly random order of the movable ones (Fisher–Yates, unbiased draws from `random`).
    ///
    /// - Throws: what `random` throws.
    static func permute(
        _ extensions: [ClientHelloExtension], random: RandomSource, together: [ExtensionType] = []
    ) throws(TLSError) -> [ClientHelloExtension] {
        var start = 0
        if let first = extensions.first, first.extensionType.isGREASE { start = 1 }
        var end = extensions.count
        while end > start, Self.staysLast(extensions[end - 1].extensionType) { end -= 1 }
        // The movable middle as units: a single extension, or the `together` block.
        var units: [[ClientHelloExtension]] = []
        var block: [ClientHelloExtension] = []
        for ext in extensions[start..<end] {
            if together.contains(ext.extensionType) {
                block.append(ext)
            } else {
                units.append([ext])
            }
        }
        if !block.isEmpty {
            block.sort { a, b in
                (together.firstIndex(of: a.extensionType) ?? 0) < (together.firstIndex(of: b.extensionType) ?? 0)
            }
            units.append(block)
        }
        var i = units.count - 1
        while i > 0 {
            let j = try uniform(below: i + 1, random: random)
            units.swapAt(i, j)
            i -= 1
        }
        return Array(extensions[..<start]) + units.flatMap { $0 } + Array(extensions[end...])
    }

    /// Whether an extension at the end of the list stays there: GREASE, `padding`, `pre_shared_key`.
    private static func staysLast(_ type: ExtensionType) -> Bool {
        type == .padding || type == .preSharedKey || type.isGREASE
    }

    /// A uniform integer in `0..<bound` (bound ≥ 1), by rejection sampling of 32-bit draws.
    static func uniform(below bound: Int, random: RandomSource) throws(TLSError) -> Int {
        guard (1...(1 << 16)).contains(bound) else { throw .internalError("uniform draw below \(bound)") }
        let range = UInt32(bound)
        let limit = UInt32.max - UInt32.max % range  // accept draws below a multiple of `range`
        while true {
            let bytes = try random.bytes(4)
            guard bytes.count == 4 else { throw .internalError("the random source gave \(bytes.count) bytes, not 4") }
            let draw = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if draw < limit { return Int(draw % range) }
        }
    }
}

extension ExtensionType {
    /// Whether this is one of the sixteen GREASE values `0x0A0A, 0x1A1A, …, 0xFAFA` (RFC 8701 §2).
    var isGREASE: Bool { rawValue & 0x0F0F == 0x0A0A && rawValue >> 12 == (rawValue >> 4) & 0x0F }
}
