import Crypto
import Foundation
@testable import TLS13

/// The server's half of a key exchange, for the in-process test servers: (EC)DHE for the classic groups; for
/// X25519MLKEM768, ML-KEM-768 encapsulation to the client's key (swift-crypto) plus X25519.
enum ServerKeyExchange {
    /// The ServerHello key share answering `clientShare`, and the shared secret both sides should derive.
    static func respond(to clientShare: KeyShareEntry) throws -> (KeyShareEntry, SecretBytes) {
        guard clientShare.group == .x25519MLKEM768 else {
            let share = try makeKeyShare(group: clientShare.group)
            return (KeyShareEntry(group: share.group, keyExchange: share.publicKey),
                    try share.sharedSecret(peerPublicKey: clientShare.keyExchange))
        }
        let (ciphertext, kemSecret) = try encapsulate(to: clientShare.keyExchange)
        let x25519 = try makeKeyShare(group: .x25519)
        let ecdh = try x25519.sharedSecret(peerPublicKey: Array(clientShare.keyExchange[HybridKeyShare.encapsulationKeyLength...]))
        var secret = kemSecret + ecdh.testBytes
        return (KeyShareEntry(group: .x25519MLKEM768, keyExchange: ciphertext + x25519.publicKey),
                SecretBytes(consuming: &secret))
    }

    /// ML-KEM-768 encapsulation to the encapsulation key at the front of a client's hybrid share:
    /// (ciphertext, shared secret).
    static func encapsulate(to clientShare: [UInt8]) throws -> ([UInt8], [UInt8]) {
        guard clientShare.count == HybridKeyShare.encapsulationKeyLength + HybridKeyShare.x25519Length else {
            throw VectorError(description: "X25519MLKEM768 client share of \(clientShare.count) bytes")
        }
        let key = try MLKEM768.PublicKey(rawRepresentation: clientShare[..<HybridKeyShare.encapsulationKeyLength])
        let result = try key.encapsulate()
        let secret = result.sharedSecret.withUnsafeBytes { Array($0) }
        return (Array(result.encapsulated), secret)
    }
}
