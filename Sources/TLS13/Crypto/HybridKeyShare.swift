#if canImport(CMLKEM)
internal import CMLKEM  // ML-KEM-768 from the BoringSSL swift-crypto links (Sources/CMLKEM). X25519 stays on libcrypto.
#endif
#if canImport(Crypto)
internal import Crypto  // swift-crypto: the encapsulation key of a given seed (known-answer tests only).
#endif

// Without swift-crypto (only the libFuzzer build: `Scripts/fuzz.sh` compiles this module alone with swiftc)
// X25519MLKEM768 is an unsupported group.

#if canImport(CMLKEM) && canImport(Crypto)

/// The post-quantum hybrid group X25519MLKEM768 (0x11EC, draft-ietf-tls-ecdhe-mlkem §3): ML-KEM-768 combined
/// with X25519, ML-KEM first in every field.
///
/// * Client share: the ML-KEM-768 encapsulation key (1184 bytes) ‖ the X25519 public key (32).
/// * Server share: the ML-KEM-768 ciphertext (1088) ‖ the server's X25519 public key (32).
/// * Shared secret: the ML-KEM shared secret (32) ‖ the X25519 shared secret (32), fed to the key schedule as
///   the (EC)DHE input.
///
/// The X25519 half is any ``KeyShare`` for x25519, so the ClientHello can send this share and a plain x25519
/// share built on **one** X25519 key pair (draft-ietf-tls-hybrid-design §3.2 allows the reuse; see
/// ``makeKeyShares(for:using:)``). A server without the hybrid then picks x25519 without a HelloRetryRequest.
///
/// ML-KEM-768 is BoringSSL's (the copy swift-crypto vendors), called directly through `CMLKEM`: key generation
/// writes the encapsulation key straight into ``publicKey`` and decapsulation writes the secret straight into the
/// combined secret, with no Foundation `Data`, no `SymmetricKey` and no second derivation of the public key (what
/// swift-crypto's `MLKEM768.PrivateKey().publicKey.rawRepresentation` costs: Docs/Benchmarks.md, "X25519MLKEM768").
///
/// Secrets: the combined secret is a ``SecretBytes``; the ML-KEM decapsulation key (7776 bytes, expanded) is
/// allocated here and zeroed when the share is released; the ML-KEM secret is written only into the combined
/// buffer, which ``SecretBytes`` takes over and zeroes.
final class HybridKeyShare: KeyShare {
    /// Bytes of an ML-KEM-768 encapsulation key (FIPS 203 table 3: 384·k + 32, k = 3).
    static let encapsulationKeyLength = Int(TLS13_MLKEM768_PUBLIC_KEY_BYTES)
    /// Bytes of an ML-KEM-768 ciphertext (32·(du·k + dv) = 32·(10·3 + 4)).
    static let ciphertextLength = Int(TLS13_MLKEM768_CIPHERTEXT_BYTES)
    /// Bytes of the ML-KEM seed (d ‖ z) a private key is expanded from (FIPS 203 §7.1).
    static let seedLength = Int(TLS13_MLKEM_SEED_BYTES)
    /// Bytes of the ML-KEM shared secret.
    static let kemSecretLength = Int(TLS13_MLKEM_SHARED_SECRET_BYTES)
    /// Bytes of an X25519 public key, and of its shared secret.
    static let x25519Length = 32

    var group: NamedGroup { .x25519MLKEM768 }
    let publicKey: [UInt8]
    /// The classical half, possibly shared with the ClientHello's plain x25519 share.
    let x25519: KeyShare
    /// BoringSSL's MLKEM768_private_key; zeroed and freed in `deinit`.
    private let decapsulationKey: UnsafeMutablePointer<tls13_mlkem768_private_key>

    /// - Parameters:
    ///   - x25519: the X25519 key pair to combine with (its `group` must be x25519).
    ///   - mlkemSeed: the 64-byte ML-KEM seed `d ‖ z` for known-answer tests; `nil` generates a fresh key.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for a share of another group or a seed of the wrong
    ///   length; ``TLSError/internalError(_:)`` when key generation fails.
    init(x25519: KeyShare, mlkemSeed: [UInt8]? = nil) throws(TLSError) {
        guard x25519.group == .x25519, x25519.publicKey.count == Self.x25519Length else {
            throw .invalidConfiguration("X25519MLKEM768 needs an x25519 key share, got \(x25519.group)")
        }
        if let mlkemSeed, mlkemSeed.count != Self.seedLength {
            throw .invalidConfiguration("ML-KEM-768 seed must be \(Self.seedLength) bytes, got \(mlkemSeed.count)")
        }
        let key = UnsafeMutablePointer<tls13_mlkem768_private_key>.allocate(capacity: 1)
        let classical = x25519.publicKey
        let total = Self.encapsulationKeyLength + Self.x25519Length
        var share: [UInt8]
        if let mlkemSeed {
            // Known-answer path: the encapsulation key through swift-crypto's public API, the decapsulation key
            // from the same seed through BoringSSL (the tests check both halves agree).
            let encapsulationKey: [UInt8]
            do {
                let reference = try MLKEM768.PrivateKey(seedRepresentation: mlkemSeed, publicKey: nil)
                encapsulationKey = [UInt8](reference.publicKey.rawRepresentation)
            } catch {
                key.deallocate()
                throw .internalError("ML-KEM-768 key generation failed: \(error)")
            }
            let ok = mlkemSeed.withUnsafeBufferPointer { tls13_mlkem768_private_key_from_seed(key, $0.baseAddress, $0.count) }
            guard ok == 1, encapsulationKey.count == Self.encapsulationKeyLength else {
                tls13_mlkem768_wipe(key)
                key.deallocate()
                throw .internalError("ML-KEM-768 key generation from a seed failed")
            }
            share = encapsulationKey + classical
        } else {
            share = [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
                tls13_mlkem768_generate_key(buffer.baseAddress, key)
                for i in 0..<Self.x25519Length { buffer[Self.encapsulationKeyLength + i] = classical[i] }
                count = total
            }
        }
        decapsulationKey = key
        self.x25519 = x25519
        publicKey = share
    }

    deinit {
        tls13_mlkem768_wipe(decapsulationKey)
        decapsulationKey.deallocate()
    }

    /// A fresh hybrid key pair, or the one given by `privateKey`: the 64-byte ML-KEM seed followed by the
    /// 32-byte X25519 private key (96 bytes, in wire order).
    convenience init(privateKey: [UInt8]?) throws(TLSError) {
        guard let privateKey else {
            try self.init(x25519: try EVPKeyShare(curve: .x25519))
            return
        }
        guard privateKey.count == Self.seedLength + Self.x25519Length else {
            throw .invalidConfiguration("X25519MLKEM768 private key must be \(Self.seedLength) + "
                + "\(Self.x25519Length) bytes, got \(privateKey.count)")
        }
        try self.init(
            x25519: try EVPKeyShare(curve: .x25519, privateKey: Array(privateKey[Self.seedLength...])),
            mlkemSeed: Array(privateKey[..<Self.seedLength]))
    }

    /// ML-KEM secret ‖ X25519 secret, from the server's ciphertext ‖ X25519 share.
    ///
    /// - Throws: `illegal_parameter` when the share is not exactly 1088 + 32 bytes, when ML-KEM decapsulation
    ///   fails, or when the X25519 half is rejected (all-zero secret).
    func sharedSecret(peerPublicKey: [UInt8]) throws(TLSError) -> SecretBytes {
        let expected = Self.ciphertextLength + Self.x25519Length
        guard peerPublicKey.count == expected else {
            throw .illegalParameter("X25519MLKEM768 key share must be \(expected) bytes, got \(peerPublicKey.count)")
        }
        let ecdhSecret = try x25519.sharedSecret(peerPublicKey: Array(peerPublicKey[Self.ciphertextLength...]))
        let combinedLength = Self.kemSecretLength + ecdhSecret.count
        var decapsulated = false
        var combined = [UInt8](unsafeUninitializedCapacity: combinedLength) { buffer, count in
            let ok = peerPublicKey.withUnsafeBufferPointer { ciphertext in
                tls13_mlkem768_decap(buffer.baseAddress, ciphertext.baseAddress, Self.ciphertextLength, decapsulationKey)
            }
            decapsulated = ok == 1
            if !decapsulated {
                for i in 0..<Self.kemSecretLength { buffer[i] = 0 }
            }
            ecdhSecret.withUnsafeBytes { secret in
                for i in 0..<secret.count { buffer[Self.kemSecretLength + i] = secret[i] }
            }
            count = combinedLength
        }
        let secret = SecretBytes(consuming: &combined)
        guard decapsulated else { throw .illegalParameter("X25519MLKEM768: ML-KEM-768 decapsulation failed") }
        return secret
    }
}

#endif

/// The key shares for a ClientHello's `key_share`: one per group of `groups`, in that order, each made by
/// `make` — except that an X25519MLKEM768 share is built on the x25519 share when `groups` offers both, so
/// one X25519 key pair (and one X25519 public value on the wire) serves both entries.
func makeKeyShares(
    for groups: [NamedGroup], using make: (NamedGroup) throws(TLSError) -> KeyShare
) throws(TLSError) -> [KeyShare] {
    var classical: KeyShare?
    if groups.contains(.x25519MLKEM768), groups.contains(.x25519) {
        classical = try make(.x25519)
    }
    var shares: [KeyShare] = []
    for group in groups {
        if let classical, group == .x25519 {
            shares.append(classical)
        } else if let classical, group == .x25519MLKEM768 {
            #if canImport(CMLKEM) && canImport(Crypto)
            shares.append(try HybridKeyShare(x25519: classical))
            #else
            _ = classical
            throw .invalidConfiguration("group \(group) is not supported in this build (no swift-crypto)")
            #endif
        } else {
            shares.append(try make(group))
        }
    }
    return shares
}
