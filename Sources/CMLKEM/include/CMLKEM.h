// ML-KEM-768 straight from the BoringSSL that swift-crypto vendors and links (its MLKEM768_* functions, with
// swift-crypto's CCryptoBoringSSL_ symbol prefix), for the X25519MLKEM768 key share (Crypto/HybridKeyShare.swift).
//
// Why not swift-crypto's MLKEM768 API: its `publicKey.rawRepresentation` re-derives the public key from the
// private key, encodes it, parses it again (expanding the matrix A a second time and hashing the key) and encodes
// it once more, about 45% on top of the key generation itself; and its decapsulation goes through Data and
// SymmetricKey. BoringSSL's MLKEM768_generate_key already writes the encoded public key (Docs/Benchmarks.md,
// "X25519MLKEM768").
//
// The declarations below copy BoringSSL's include/openssl/mlkem.h (swift-crypto 4.5.2): the private key is an
// opaque, 2-byte aligned block of 512 * (3 + 3 + 9) + 32 + 32 + 32 bytes. HybridKeyShareTests checks this path
// against swift-crypto's own ML-KEM (encapsulation to our key, known seeds).
#ifndef TLS13_CMLKEM_H
#define TLS13_CMLKEM_H

#include <stddef.h>
#include <stdint.h>

#define TLS13_MLKEM768_PUBLIC_KEY_BYTES 1184
#define TLS13_MLKEM768_CIPHERTEXT_BYTES 1088
#define TLS13_MLKEM_SEED_BYTES 64
#define TLS13_MLKEM_SHARED_SECRET_BYTES 32
#define TLS13_MLKEM768_PRIVATE_KEY_BYTES (512 * (3 + 3 + 9) + 32 + 32 + 32)

/// BoringSSL's `struct MLKEM768_private_key`: the decapsulation key, expanded.
typedef struct {
    union {
        uint8_t bytes[TLS13_MLKEM768_PRIVATE_KEY_BYTES];
        uint16_t alignment;
    } opaque;
} tls13_mlkem768_private_key;

/// A fresh key pair: the 1184-byte encoded encapsulation key to `out_public_key`, the private key to
/// `out_private_key` (randomness from BoringSSL's RNG).
void tls13_mlkem768_generate_key(uint8_t *out_public_key, tls13_mlkem768_private_key *out_private_key);

/// The private key of the 64-byte seed `d || z` (FIPS 203 §7.1). Returns 1, or 0 for a wrong seed length.
int tls13_mlkem768_private_key_from_seed(tls13_mlkem768_private_key *out_private_key, const uint8_t *seed,
                                         size_t seed_len);

/// The 32-byte shared secret of `ciphertext` (implicit rejection: a wrong ciphertext of the right length yields
/// a pseudorandom secret). Returns 1, or 0 when `ciphertext_len` is not 1088.
int tls13_mlkem768_decap(uint8_t *out_shared_secret, const uint8_t *ciphertext, size_t ciphertext_len,
                         const tls13_mlkem768_private_key *private_key);

/// Overwrites `*private_key` with zeros (a store the compiler keeps).
void tls13_mlkem768_wipe(tls13_mlkem768_private_key *private_key);

#endif
