internal import COpenSSL

/// Drains libcrypto's thread-local error queue into one line, e.g.
/// `EVP_CipherInit_ex: error:1C800066:Provider routines::cipher operation failed`.
///
/// Always call this after a failed libcrypto call so a stale error never leaks into a later failure.
func openSSLErrorString(_ what: String) -> String {
    var parts: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let end = buffer.firstIndex(of: 0) ?? buffer.count
        parts.append(String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        if parts.count > 8 { ERR_clear_error(); break }
    }
    return parts.isEmpty ? what : "\(what): \(parts.joined(separator: "; "))"
}

/// A libcrypto failure as ``TLSError/internalError(_:)`` (alert `internal_error`), queue drained.
func openSSLError(_ what: String) -> TLSError {
    .internalError(openSSLErrorString(what))
}

/// Throws ``openSSLError(_:)`` unless `result == 1` (libcrypto's success value).
@inline(__always)
func check(_ result: Int32, _ what: @autoclosure () -> String) throws(TLSError) {
    guard result == 1 else { throw openSSLError(what()) }
}

/// Returns `pointer` or throws ``openSSLError(_:)`` when libcrypto returned NULL.
@inline(__always)
func checkNotNull<T>(_ pointer: T?, _ what: @autoclosure () -> String) throws(TLSError) -> T {
    guard let pointer else { throw openSSLError(what()) }
    return pointer
}
