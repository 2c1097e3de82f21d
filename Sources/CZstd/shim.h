#ifndef CZSTD_SHIM_H
#define CZSTD_SHIM_H

// Zstandard (Debian libzstd-dev) for certificate compression (RFC 8879, algorithm 3).
#include <zstd.h>
#include <zstd_errors.h>

// ZSTD_CONTENTSIZE_* are macros of unsigned long long constants.
static inline unsigned long long CZstd_CONTENTSIZE_UNKNOWN(void) { return ZSTD_CONTENTSIZE_UNKNOWN; }
static inline unsigned long long CZstd_CONTENTSIZE_ERROR(void) { return ZSTD_CONTENTSIZE_ERROR; }

#endif
