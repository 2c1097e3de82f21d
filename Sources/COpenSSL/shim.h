#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

// Shims for OpenSSL macros that Swift cannot import.

static inline void COpenSSL_OPENSSL_free(void *ptr) { OPENSSL_free(ptr); }

static inline int COpenSSL_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *COpenSSL_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline STACK_OF(X509) *COpenSSL_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int COpenSSL_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline void COpenSSL_sk_X509_free(STACK_OF(X509) *sk) { sk_X509_free(sk); }
static inline void COpenSSL_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }

static inline int COpenSSL_sk_GENERAL_NAME_num(const STACK_OF(GENERAL_NAME) *sk) { return sk_GENERAL_NAME_num(sk); }
static inline GENERAL_NAME *COpenSSL_sk_GENERAL_NAME_value(const STACK_OF(GENERAL_NAME) *sk, int i) { return sk_GENERAL_NAME_value(sk, i); }
static inline void COpenSSL_GENERAL_NAMES_free(STACK_OF(GENERAL_NAME) *sk) { GENERAL_NAMES_free(sk); }

static inline int COpenSSL_EVP_PKEY_CTX_set_rsa_padding(EVP_PKEY_CTX *ctx, int pad) { return EVP_PKEY_CTX_set_rsa_padding(ctx, pad); }
static inline int COpenSSL_EVP_PKEY_CTX_set_rsa_pss_saltlen(EVP_PKEY_CTX *ctx, int len) { return EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, len); }
static inline int COpenSSL_EVP_PKEY_CTX_set_rsa_mgf1_md(EVP_PKEY_CTX *ctx, const EVP_MD *md) { return EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md); }
static inline int COpenSSL_RSA_PKCS1_PSS_PADDING(void) { return RSA_PKCS1_PSS_PADDING; }
static inline int COpenSSL_RSA_PKCS1_PADDING(void) { return RSA_PKCS1_PADDING; }
static inline int COpenSSL_RSA_PSS_SALTLEN_DIGEST(void) { return RSA_PSS_SALTLEN_DIGEST; }

// --- Key exchange, signatures, X.509 (Crypto/KeyExchange, Signature, X509, CertificateVerifier) ---
#include <openssl/param_build.h>

static inline int COpenSSL_EVP_PKEY_KEYPAIR(void) { return EVP_PKEY_KEYPAIR; }
static inline int COpenSSL_EVP_PKEY_PUBLIC_KEY(void) { return EVP_PKEY_PUBLIC_KEY; }
static inline unsigned long COpenSSL_XN_FLAG_ONELINE(void) { return XN_FLAG_ONELINE; }
static inline int COpenSSL_ERR_GET_LIB(unsigned long e) { return ERR_GET_LIB(e); }
static inline int COpenSSL_ERR_GET_REASON(unsigned long e) { return ERR_GET_REASON(e); }
static inline const unsigned char *COpenSSL_GENERAL_NAME_dns(const GENERAL_NAME *gn, int *len) {
    if (gn->type != GEN_DNS) return NULL;
    *len = ASN1_STRING_length(gn->d.dNSName);
    return ASN1_STRING_get0_data(gn->d.dNSName);
}
static inline const unsigned char *COpenSSL_GENERAL_NAME_ip(const GENERAL_NAME *gn, int *len) {
    if (gn->type != GEN_IPADD) return NULL;
    *len = ASN1_STRING_length(gn->d.iPAddress);
    return ASN1_STRING_get0_data(gn->d.iPAddress);
}


// --- ffdhe key exchange and OCSP stapling (Crypto/FFDHEKeyShare, OCSPResponseVerifier) ---
#include <openssl/dh.h>
#include <openssl/ocsp.h>

// --- SHA-256 / SHA-384 and HMAC without the EVP provider dispatch (Crypto/Digest, HMAC) ---
// Two implementations of one small hash state, chosen per state at init:
// * low-level (the default where it exists): libcrypto's SHA256_* / SHA384_* functions, deprecated in 3.0 but
//   still exported, the same block functions (SHA-NI included) the default provider calls. On the short inputs of
//   a TLS key schedule, EVP's per-call dispatch (EVP_MD_CTX and provider set-up, copies, frees) costs several
//   times the compression function itself. A copy is a memcpy.
// * EVP: EVP_DigestInit_ex / EVP_DigestUpdate / EVP_DigestFinal_ex on an owned EVP_MD_CTX. Always compiled; the
//   only one when libcrypto is built or used without the deprecated API (OPENSSL_NO_DEPRECATED_3_0, as
//   Scripts/check-openssl-no-deprecated.sh compiles this header), and selectable at run time so the tests run
//   RFC 4231 and RFC 8448 through both.
// Every state must end in COpenSSL_SHA_final or COpenSSL_SHA_release (the EVP one owns a context); copies go
// through COpenSSL_SHA_copy. Callers wipe states that held a key (COpenSSL_HMAC_final does so itself).
#include <openssl/sha.h>
#include <string.h>

#if defined(OPENSSL_NO_DEPRECATED_3_0)
#define COPENSSL_HAVE_LOWLEVEL_SHA 0
#else
#define COPENSSL_HAVE_LOWLEVEL_SHA 1
#endif

/// Whether the low-level SHA functions exist in this build (else every state uses EVP).
static inline int COpenSSL_SHA_lowlevel_available(void) { return COPENSSL_HAVE_LOWLEVEL_SHA; }

#if COPENSSL_HAVE_LOWLEVEL_SHA
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
#endif

typedef struct {
    int is384;
    int evp;  // 1: `md` is an owned EVP_MD_CTX (or NULL once released); 0: `u` holds the low-level state
    EVP_MD_CTX *md;
#if COPENSSL_HAVE_LOWLEVEL_SHA
    union { SHA256_CTX sha256; SHA512_CTX sha512; } u;
#endif
} COpenSSL_SHA_CTX;

/// Starts a SHA-256 (or SHA-384) state; `use_evp` picks EVP even where the low-level functions exist. Returns 1,
/// or 0 when libcrypto fails (EVP only).
static inline int COpenSSL_SHA_init(COpenSSL_SHA_CTX *c, int is384, int use_evp) {
    c->is384 = is384;
    c->evp = use_evp || !COPENSSL_HAVE_LOWLEVEL_SHA;
    c->md = NULL;
    if (c->evp) {
        c->md = EVP_MD_CTX_new();
        if (c->md == NULL) return 0;
        if (EVP_DigestInit_ex(c->md, is384 ? EVP_sha384() : EVP_sha256(), NULL) != 1) {
            EVP_MD_CTX_free(c->md);
            c->md = NULL;
            return 0;
        }
        return 1;
    }
#if COPENSSL_HAVE_LOWLEVEL_SHA
    if (is384) SHA384_Init(&c->u.sha512); else SHA256_Init(&c->u.sha256);
#endif
    return 1;
}
static inline void COpenSSL_SHA_update(COpenSSL_SHA_CTX *c, const void *data, size_t len) {
    if (len == 0) return;
    if (c->evp) { if (c->md != NULL) EVP_DigestUpdate(c->md, data, len); return; }
#if COPENSSL_HAVE_LOWLEVEL_SHA
    if (c->is384) SHA384_Update(&c->u.sha512, data, len); else SHA256_Update(&c->u.sha256, data, len);
#endif
}
/// Frees what the state owns and wipes it (a state that was never finished, or a copy no longer needed).
static inline void COpenSSL_SHA_release(COpenSSL_SHA_CTX *c) {
    if (c->evp && c->md != NULL) EVP_MD_CTX_free(c->md);
    OPENSSL_cleanse(c, sizeof *c);
}
/// Writes 32 (SHA-256) or 48 (SHA-384) bytes and releases `c`. Returns 1, or 0 when libcrypto fails (EVP only).
static inline int COpenSSL_SHA_final(COpenSSL_SHA_CTX *c, unsigned char *out) {
    int ok = 1;
    if (c->evp) {
        unsigned int len = 0;
        ok = c->md != NULL && EVP_DigestFinal_ex(c->md, out, &len) == 1;
    } else {
#if COPENSSL_HAVE_LOWLEVEL_SHA
        if (c->is384) SHA384_Final(out, &c->u.sha512); else SHA256_Final(out, &c->u.sha256);
#endif
    }
    COpenSSL_SHA_release(c);
    return ok;
}
/// Makes `dst` an independent copy of `src` (a memcpy, or a new EVP context). Returns 1, or 0 when libcrypto fails.
static inline int COpenSSL_SHA_copy(COpenSSL_SHA_CTX *dst, const COpenSSL_SHA_CTX *src) {
    memcpy(dst, src, sizeof *dst);
    if (!src->evp) return 1;
    dst->md = EVP_MD_CTX_new();
    if (dst->md == NULL || src->md == NULL || EVP_MD_CTX_copy_ex(dst->md, src->md) != 1) {
        if (dst->md != NULL) EVP_MD_CTX_free(dst->md);
        dst->md = NULL;
        return 0;
    }
    return 1;
}

typedef struct { COpenSSL_SHA_CTX inner, outer; } COpenSSL_HMAC_CTX;

/// HMAC (RFC 2104) keyed with `key` (any length, NULL if `key_len` is 0). Returns 1, or 0 when libcrypto fails
/// (then nothing is left to release).
static inline int COpenSSL_HMAC_init(COpenSSL_HMAC_CTX *h, int is384, int use_evp, const unsigned char *key,
                                     size_t key_len) {
    unsigned char block[128], hashed[48];
    size_t block_len = is384 ? 128 : 64;
    int ok = 1;
    if (key_len > block_len) {
        ok = COpenSSL_SHA_init(&h->inner, is384, use_evp);
        if (!ok) return 0;
        COpenSSL_SHA_update(&h->inner, key, key_len);
        ok = COpenSSL_SHA_final(&h->inner, hashed);
        if (!ok) { OPENSSL_cleanse(hashed, sizeof hashed); return 0; }
        key = hashed;
        key_len = is384 ? 48 : 32;
    }
    memset(block, 0x36, block_len);
    for (size_t i = 0; i < key_len; i++) block[i] ^= key[i];
    ok = COpenSSL_SHA_init(&h->inner, is384, use_evp);
    if (ok) COpenSSL_SHA_update(&h->inner, block, block_len);
    memset(block, 0x5c, block_len);
    for (size_t i = 0; i < key_len; i++) block[i] ^= key[i];
    if (ok) {
        ok = COpenSSL_SHA_init(&h->outer, is384, use_evp);
        if (ok) COpenSSL_SHA_update(&h->outer, block, block_len); else COpenSSL_SHA_release(&h->inner);
    }
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(hashed, sizeof hashed);
    return ok;
}
static inline void COpenSSL_HMAC_update(COpenSSL_HMAC_CTX *h, const void *data, size_t len) {
    COpenSSL_SHA_update(&h->inner, data, len);
}
/// Writes 32 or 48 bytes and wipes (releases) `h`. Returns 1, or 0 when libcrypto fails (EVP only).
static inline int COpenSSL_HMAC_final(COpenSSL_HMAC_CTX *h, unsigned char *out) {
    unsigned char inner[48];
    size_t len = h->inner.is384 ? 48 : 32;
    int ok = COpenSSL_SHA_final(&h->inner, inner);
    if (ok) COpenSSL_SHA_update(&h->outer, inner, len);
    if (ok) ok = COpenSSL_SHA_final(&h->outer, out); else COpenSSL_SHA_release(&h->outer);
    OPENSSL_cleanse(inner, sizeof inner);
    OPENSSL_cleanse(h, sizeof *h);
    return ok;
}

#if COPENSSL_HAVE_LOWLEVEL_SHA
#pragma clang diagnostic pop
#endif

#endif
