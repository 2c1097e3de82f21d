internal import COpenSSL

/// Reads PEM-encoded certificates (`-----BEGIN CERTIFICATE-----` blocks), e.g. a CA bundle.
enum PEM {
    /// All certificates in the PEM file at `path`, in file order (text between blocks is ignored).
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when the file cannot be opened
    ///   (`cannot read CA file /x.pem: No such file or directory`), a block is malformed, or the file holds no
    ///   certificate.
    static func certificates(fromFile path: String) throws(TLSError) -> [X509Certificate] {
        let bio = try OpenSSLBIO.readingFile(path, purpose: "CA file")
        return try certificates(from: bio, source: path)
    }

    /// All certificates in PEM text `pem`.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` on a malformed block or when there is none.
    static func certificates(fromPEM pem: [UInt8]) throws(TLSError) -> [X509Certificate] {
        try certificates(from: try OpenSSLBIO.memory(contents: pem), source: "PEM data")
    }

    private static func certificates(from bio: OpenSSLBIO, source: String) throws(TLSError) -> [X509Certificate] {
        ERR_clear_error()
        var result: [X509Certificate] = []
        while let certificate = PEM_read_bio_X509(bio.pointer, nil, nil, nil) {
            result.append(X509Certificate(takingOwnership: certificate))
        }
        // The loop ends with PEM_R_NO_START_LINE at a clean end of input; anything else is a broken block.
        let code = ERR_peek_last_error()
        let cleanEnd = code == 0
            || (COpenSSL_ERR_GET_LIB(code) == ERR_LIB_PEM && COpenSSL_ERR_GET_REASON(code) == PEM_R_NO_START_LINE)
        if !cleanEnd {
            let reason = firstErrorReason() ?? "unknown error"
            throw .invalidConfiguration(
                "malformed certificate in \(source) after \(result.count) certificates: \(reason)")
        }
        ERR_clear_error()
        guard !result.isEmpty else {
            throw .invalidConfiguration("no PEM certificate found in \(source)")
        }
        return result
    }
}
