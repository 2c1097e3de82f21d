internal import COpenSSL

/// Key material owned by this library: wiped with `OPENSSL_cleanse` when the last reference goes.
///
/// A reference type so that copies of a secret share one buffer, which is zeroed exactly once in `deinit`.
/// Never printed: ``description`` hides the bytes. Read it with ``withUnsafeBytes(_:)`` or ``bytes``
/// (the latter copies; use it only for tests and the key-log file).
final class SecretBytes: CustomStringConvertible, @unchecked Sendable {
    // @unchecked Sendable: `storage` is never mutated after init except by `deinit`.
    private var storage: [UInt8]

    init(_ bytes: [UInt8]) { storage = bytes }

    /// Takes ownership of `bytes` and zeroes the caller's array.
    init(consuming bytes: inout [UInt8]) {
        storage = bytes
        bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
        bytes = []
    }

    deinit { wipe(&storage) }

    var count: Int { storage.count }

    /// A copy of the secret bytes. The copy is the caller's to wipe.
    var bytes: [UInt8] { storage }

    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        // `withUnsafeBytes` on Array is rethrows-untyped; go through a local result to keep typed throws.
        var result: Result<R, E>!
        storage.withUnsafeBytes { buffer in
            do throws(E) { result = .success(try body(buffer)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    var description: String { "SecretBytes(\(storage.count) bytes, redacted)" }
}

/// Zeroes `bytes` in a way the optimizer may not remove.
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress, buffer.count > 0 { OPENSSL_cleanse(base, buffer.count) }
    }
}
