/// An exact byte string (a DER certificate, say) as a dictionary key.
///
/// Hashed as one block (`Hasher.combine(bytes:)`): `[UInt8]`'s own `Hashable` feeds the hasher byte by byte,
/// which for a certificate's kilobyte or two costs more than the rest of a cache lookup. Equality is the
/// exact bytes.
struct BytesKey: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func == (lhs: BytesKey, rhs: BytesKey) -> Bool { lhs.bytes == rhs.bytes }

    func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.count)
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
