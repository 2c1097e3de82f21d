#if canImport(Crypto)
internal import Crypto  // swift-crypto: ML-KEM-768 (FIPS 203). X25519 stays on libcrypto (EVPKeyShare).
#endif

// Without swift-crypto (only the libFuzzer build: `Scripts/fuzz.sh` compiles this module alone with swiftc)
// X25519MLKEM768 is an unsupported group.

#if canImport(Crypto)

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
/// Secrets: the combined secret is a ``SecretBytes``; swift-crypto's `SymmetricKey` (the ML-KEM secret) zeroes
/// itself. The ML-KEM decapsulation key and its seed live inside swift-crypto (4.5.2), which frees them without
/// wiping; they exist from the ClientHello until the ServerHello is processed.
final class HybridKeyShare: KeyShare {
    /// Bytes of an ML-KEM-768 encapsulation key (FIPS 203 table 3: 384·k + 32, k = 3).
    static let encapsulationKeyLength = 1184
    /// Bytes of an ML-KEM-768 ciphertext (32·(du·k + dv) = 32·(10·3 + 4)).
    static let ciphertextLength = 1088
    /// Bytes of the ML-KEM seed (d ‖ z) a private key is expanded from (FIPS 203 §7.1).
    static let seedLength = 64
    /// Bytes of an X25519 public key, and of its shared secret.
    static let x25519Length = 32

    var group: NamedGroup { .x25519MLKEM768 }
    let publicKey: [UInt8]
    /// The classical half, possibly shared with the ClientHello's plain x25519 share.
    let x25519: KeyShare
    private let decapsulationKey: MLKEM768.PrivateKey

    /// - Parameters:
    ///   - x25519: the X25519 key pair to combine with (its `group` must be x25519).
    ///   - mlkemSeed: the 64-byte ML-KEM seed `d ‖ z` for known-answer tests; `nil` generates a fresh key.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for a share of another group or a seed of the wrong
    ///   length; ``TLSError/internalError(_:)`` when key generation fails.
    init(x25519: KeyShare, mlkemSeed: [UInt8]? = nil) throws(TLSError) {
        guard x25519.group == .x25519, x25519.publicKey.count == Self.x25519Length else {
            throw .invalidConfiguration("X25519MLKEM768 needs an x25519 key share, got \(x25519.group)")
        }
        let key: MLKEM768.PrivateKey
        do {
            if let mlkemSeed {
                guard mlkemSeed.count == Self.seedLength else {
                    throw TLSError.invalidConfiguration(
                        "ML-KEM-768 seed must be \(Self.seedLength) bytes, got \(mlkemSeed.count)")
                }
                key = try MLKEM768.PrivateKey(seedRepresentation: mlkemSeed, publicKey: nil)
            } else {
                key = try MLKEM768.PrivateKey()
            }
        } catch let error as TLSError {
            throw error
        } catch {
            throw .internalError("ML-KEM-768 key generation failed: \(error)")
        }
        let encapsulationKey = [UInt8](key.publicKey.rawRepresentation)
        guard encapsulationKey.count == Self.encapsulationKeyLength else {
            throw .internalError("ML-KEM-768 encapsulation key is \(encapsulationKey.count) bytes")
        }
        decapsulationKey = key
        self.x25519 = x25519
        publicKey = encapsulationKey + x25519.publicKey
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
        let ciphertext = peerPublicKey[..<Self.ciphertextLength]
        let peerX25519 = Array(peerPublicKey[Self.ciphertextLength...])
        let kemSecret: SymmetricKey
        do {
            kemSecret = try decapsulationKey.decapsulate(ciphertext)
        } catch {
            throw .illegalParameter("X25519MLKEM768: ML-KEM-768 decapsulation failed (\(error))")
        }
        guard kemSecret.bitCount == 256 else {
            throw .internalError("ML-KEM-768 shared secret is \(kemSecret.bitCount) bits")
        }
        let ecdhSecret = try x25519.sharedSecret(peerPublicKey: peerX25519)
        var combined = [UInt8]()
        combined.reserveCapacity(kemSecret.bitCount / 8 + ecdhSecret.count)
        kemSecret.withUnsafeBytes { combined.append(contentsOf: $0) }
        ecdhSecret.withUnsafeBytes { combined.append(contentsOf: $0) }
        return SecretBytes(consuming: &combined)
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
            #if canImport(Crypto)
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
