#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H

// zlib (Debian zlib1g-dev) for certificate compression (RFC 8879, algorithm 1): the TLS13 library inflates a
// CompressedCertificate through Sources/TLS13/Compression/ only.
#include <zlib.h>

// deflateInit / inflateInit are macros over the *_ functions with the library's version and struct size.
static inline int CZlib_inflateInit(z_streamp stream) { return inflateInit(stream); }
static inline int CZlib_deflateInit(z_streamp stream, int level) { return deflateInit(stream, level); }

#endif
