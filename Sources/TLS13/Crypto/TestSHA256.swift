internal import COpenSSL

/// SHA-256 of `data`, for tests only (RFC 8448 CertificateVerify transcript), until the shared `Digest.swift`
/// is available on this branch; then replace its uses with `HashAlgorithm.sha256.hash(_:)` and delete this file.
func _testSHA256(_ data: [UInt8]) throws(TLSError) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    try check(EVP_Digest(data, data.count, &out, &length, EVP_sha256(), nil), "EVP_Digest(SHA256)")
    guard length == 32 else { throw .internalError("EVP_Digest(SHA256) gave \(length) bytes") }
    return out
}
