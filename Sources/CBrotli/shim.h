#ifndef CBROTLI_SHIM_H
#define CBROTLI_SHIM_H

// Brotli (Debian libbrotli-dev) for certificate compression (RFC 8879, algorithm 2). The decoder inflates a
// CompressedCertificate; the encoder serves the tests and the size measurements (Docs/Interop.md).
#include <brotli/decode.h>
#include <brotli/encode.h>

#endif
