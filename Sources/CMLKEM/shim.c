#include "CMLKEM.h"

#include <string.h>

// BoringSSL's functions as swift-crypto's vendored copy exports them (include/openssl/mlkem.h, prefixed).
struct MLKEM768_private_key;
extern void CCryptoBoringSSL_MLKEM768_generate_key(uint8_t *out_encoded_public_key, uint8_t *optional_out_seed,
                                                   struct MLKEM768_private_key *out_private_key);
extern int CCryptoBoringSSL_MLKEM768_private_key_from_seed(struct MLKEM768_private_key *out_private_key,
                                                           const uint8_t *seed, size_t seed_len);
extern int CCryptoBoringSSL_MLKEM768_decap(uint8_t *out_shared_secret, const uint8_t *ciphertext,
                                           size_t ciphertext_len, const struct MLKEM768_private_key *private_key);

_Static_assert(sizeof(tls13_mlkem768_private_key) == 7776, "BoringSSL's MLKEM768_private_key is 7776 bytes");

void tls13_mlkem768_generate_key(uint8_t *out_public_key, tls13_mlkem768_private_key *out_private_key) {
    CCryptoBoringSSL_MLKEM768_generate_key(out_public_key, NULL, (struct MLKEM768_private_key *)out_private_key);
}

int tls13_mlkem768_private_key_from_seed(tls13_mlkem768_private_key *out_private_key, const uint8_t *seed,
                                         size_t seed_len) {
    return CCryptoBoringSSL_MLKEM768_private_key_from_seed((struct MLKEM768_private_key *)out_private_key, seed,
                                                           seed_len);
}

int tls13_mlkem768_decap(uint8_t *out_shared_secret, const uint8_t *ciphertext, size_t ciphertext_len,
                         const tls13_mlkem768_private_key *private_key) {
    return CCryptoBoringSSL_MLKEM768_decap(out_shared_secret, ciphertext, ciphertext_len,
                                           (const struct MLKEM768_private_key *)private_key);
}

void tls13_mlkem768_wipe(tls13_mlkem768_private_key *private_key) {
    explicit_bzero(private_key, sizeof(*private_key));
}
