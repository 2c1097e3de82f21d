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

#endif
