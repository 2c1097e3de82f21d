internal import COpenSSL

/// Owns one `BIO` (a libcrypto I/O stream); `BIO_free` in `deinit`.
final class OpenSSLBIO {
    let pointer: OpaquePointer  // <BIO>

    private init(takingOwnership pointer: OpaquePointer) { self.pointer = pointer }

    deinit { BIO_free(pointer) }

    /// An empty, growable memory BIO to print into (`BIO_s_mem`).
    static func memory() throws(TLSError) -> OpenSSLBIO {
        guard let method = BIO_s_mem() else { throw openSSLError("BIO_s_mem") }
        return OpenSSLBIO(takingOwnership: try checkNotNull(BIO_new(method), "BIO_new(BIO_s_mem)"))
    }

    /// A memory BIO over a copy of `bytes`, to parse from.
    static func memory(contents bytes: [UInt8]) throws(TLSError) -> OpenSSLBIO {
        let bio = try memory()
        if !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { BIO_write(bio.pointer, $0.baseAddress, Int32($0.count)) }
            guard written == Int32(bytes.count) else { throw openSSLError("BIO_write") }
        }
        return bio
    }

    /// A file opened for reading (`BIO_new_file(path, "r")`).
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` naming the file and the system's reason, e.g.
    ///   `cannot read CA file /etc/x.pem: No such file or directory`.
    static func readingFile(_ path: String, purpose: String) throws(TLSError) -> OpenSSLBIO {
        guard let bio = BIO_new_file(path, "r") else {
            throw .invalidConfiguration("cannot read \(purpose) \(path): \(firstErrorReason() ?? "unknown error")")
        }
        return OpenSSLBIO(takingOwnership: bio)
    }

    /// Everything written to (and not yet read from) a memory BIO, as UTF-8 (invalid bytes replaced).
    func readAllText() -> String {
        var collected: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let n = BIO_read(pointer, &chunk, Int32(chunk.count))
            if n <= 0 { break }
            collected.append(contentsOf: chunk[0..<Int(n)])
        }
        ERR_clear_error()
        return String(decoding: collected, as: UTF8.self)
    }
}

/// The reason text of the oldest queued libcrypto error (e.g. `No such file or directory`); clears the queue.
func firstErrorReason() -> String? {
    let code = ERR_peek_error()
    defer { ERR_clear_error() }
    guard code != 0 else { return nil }
    if let reason = ERR_reason_error_string(code) { return String(cString: reason) }
    // System errors (errno) have no static reason string; ERR_error_string_n formats them as
    // `error:80000002:system library::No such file or directory`: take the last field.
    var buffer = [CChar](repeating: 0, count: 256)
    ERR_error_string_n(code, &buffer, buffer.count)
    let end = buffer.firstIndex(of: 0) ?? buffer.count
    let text = String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let reason = text.split(separator: ":", omittingEmptySubsequences: false).last, !reason.isEmpty else {
        return text
    }
    return String(reason)
}
