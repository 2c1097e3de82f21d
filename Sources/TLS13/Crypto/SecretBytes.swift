internal import COpenSSL
import Synchronization

/// Key material owned by this library: raw bytes it allocated itself, wiped with `OPENSSL_cleanse` when the last
/// reference goes.
///
/// A reference type so that copies of a secret share one buffer, which is zeroed exactly once in `deinit`. The
/// storage is never a Swift array (whose buffer could be shared with, or left behind by, a copy-on-write copy): it is
/// allocated here, filled here, and reachable only inside ``withUnsafeBytes(_:)``. Never printed: ``description``
/// hides the bytes. Arrays that carried a secret on its way in or out are wiped by whoever made them
/// (``init(consuming:)`` does it for the caller).
final class SecretBytes: CustomStringConvertible, @unchecked Sendable {
    // @unchecked Sendable: `storage` is written only in init and deinit.
    private let storage: UnsafeMutableRawBufferPointer

    /// Copies `bytes` (the caller's array is left as it is: wipe it if it held a secret).
    init(_ bytes: [UInt8]) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress, !source.isEmpty { storage.baseAddress?.copyMemory(from: base, byteCount: source.count) }
        }
        self.storage = storage
        count = bytes.count
    }

    /// Copies `bytes` (raw memory the caller keeps and wipes).
    init(copying bytes: UnsafeRawBufferPointer) {
        storage = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        if let base = bytes.baseAddress, !bytes.isEmpty { storage.baseAddress?.copyMemory(from: base, byteCount: bytes.count) }
        count = bytes.count
    }

    /// Takes the bytes of `bytes` and zeroes the caller's array (its own buffer: a copy-on-write duplicate the caller
    /// made earlier is the caller's to wipe).
    convenience init(consuming bytes: inout [UInt8]) {
        self.init(bytes)
        wipe(&bytes)
        bytes = []
    }

    deinit {
        OPENSSL_cleanse(storage.baseAddress, storage.count)
        if Self.observing.load(ordering: .relaxed) {
            let observed = UnsafeRawBufferPointer(rebasing: storage[0..<count])
            Self.observerLock.withLock { Self.observer?(observed) }
        }
        storage.deallocate()
    }

    /// The number of secret bytes.
    let count: Int

    /// Calls `body` with the secret bytes; the pointer must not escape it.
    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// Whether both hold the same bytes, compared in constant time (`CRYPTO_memcmp`).
    func constantTimeEquals(_ other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { a in other.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, count) == 0 } }
    }

    /// Lowercase hex of the bytes, for the NSS key log only (``TLSClientConfiguration/keyLog``).
    func hexForKeyLog() -> String {
        let digits = Array("0123456789abcdef".utf8)
        return withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: raw.count * 2) { out in
                for (i, b) in raw.enumerated() {
                    out[2 * i] = digits[Int(b >> 4)]
                    out[2 * i + 1] = digits[Int(b & 0x0f)]
                }
                return raw.count * 2
            }
        }
    }

    var description: String { "SecretBytes(\(count) bytes, redacted)" }

    // MARK: - Release observer (tests)

    private static let observing = Atomic<Bool>(false)
    private static let observerLock = CryptoLock()
    nonisolated(unsafe) private static var observer: ((UnsafeRawBufferPointer) -> Void)?  // guarded by observerLock

    /// Test hook: `observer` sees every secret's storage as it is released — after it was wiped, before it is freed —
    /// until `nil` is set again. Costs one relaxed atomic load per release when unset.
    static func observeReleases(_ observer: ((UnsafeRawBufferPointer) -> Void)?) {
        observerLock.withLock {
            Self.observer = observer
            observing.store(observer != nil, ordering: .relaxed)
        }
    }
}

/// Zeroes `bytes` in a way the optimizer may not remove.
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress, buffer.count > 0 { OPENSSL_cleanse(base, buffer.count) }
    }
}
