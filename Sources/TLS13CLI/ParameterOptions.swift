import ArgumentParser
import TLS13

/// What the ClientHello offers: groups, cipher suites, signature schemes, and the extensions people tune
/// (record_size_limit, OCSP stapling, GREASE, extension order, certificate compression, padding). Shared by `connect` and `get`.
struct ParameterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Key exchange groups to offer, comma-separated, most preferred first; a key share is sent for the \
        first (and for x25519 too when the first is X25519MLKEM768 and x25519 is listed). IANA or OpenSSL \
        names: X25519MLKEM768, x25519/X25519, secp256r1/P-256, secp384r1/P-384, secp521r1/P-521, x448/X448, \
        ffdhe2048, ffdhe3072, ffdhe4096 (default: X25519MLKEM768,x25519,P-256,P-384,P-521,X448 with \
        X25519MLKEM768 and x25519 key shares; ffdhe only when named).
        """, valueName: "list"), transform: NameLists.groups)
    var groups: [NamedGroup]?

    @Option(help: ArgumentHelp("""
        TLS 1.3 cipher suites to offer, comma-separated, most preferred first: TLS_AES_128_GCM_SHA256, \
        TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256 \
        (OpenSSL-style names like AES128-GCM-SHA256 too; default: the first three).
        """, valueName: "list"), transform: NameLists.ciphers)
    var ciphers: [CipherSuite]?

    @Option(help: ArgumentHelp("""
        Signature schemes accepted in the server's CertificateVerify (signature_algorithms), comma-separated, \
        most preferred first: ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512, \
        rsa_pss_rsae_sha256/384/512, rsa_pss_pss_sha256/384/512, ed25519, ed448 (OpenSSL's ECDSA+SHA256 too). \
        Certificates in the chain may still be signed with rsa_pkcs1_* (signature_algorithms_cert).
        """, valueName: "list"), transform: NameLists.signatureSchemes)
    var sigalgs: [SignatureScheme]?

    @Option(name: .customLong("record-size-limit"), help: ArgumentHelp("""
        The record_size_limit to offer (RFC 8449), 64 to 16385: the largest record the server may send, \
        counting the content type byte (default 16385).
        """, valueName: "bytes"))
    var recordSizeLimit: Int?

    @Flag(name: .customLong("no-record-size-limit"), help: "Do not send the record_size_limit extension.")
    var noRecordSizeLimit = false

    @Flag(name: .customLong("no-ocsp"), help: ArgumentHelp("""
        Do not ask for a stapled OCSP response (status_request). By default one is asked for, checked when it \
        comes (revoked: certificate_revoked; invalid: bad_certificate_status_response) and shown as "OCSP:".
        """))
    var noOCSP = false

    @Flag(name: .customLong("no-grease"), help: "Send no GREASE values (RFC 8701) in the ClientHello.")
    var noGREASE = false

    @Option(name: .customLong("cert-compression"), help: ArgumentHelp("""
        Certificate compression algorithms to offer (RFC 8879), comma-separated, most preferred first: zstd, \
        brotli, zlib (the default, in that order), or none.
        """, valueName: "list|none"), transform: NameLists.certificateCompression)
    var certificateCompression: [TLSCertificateDecompressor]?

    @Flag(name: .customLong("no-permute-extensions"), help: ArgumentHelp("""
        Send the ClientHello's extensions in the library's fixed order. By default their order is drawn at \
        random for each connection (GREASE, padding and pre_shared_key keep their places).
        """))
    var noPermuteExtensions = false

    @Option(name: .customLong("pad"), help: ArgumentHelp("""
        Pad the ClientHello to at least this many bytes with the padding extension (RFC 7685), e.g. 512.
        """, valueName: "bytes"))
    var padding: Int?

    func validate() throws {
        if let recordSizeLimit {
            guard (64...16385).contains(recordSizeLimit) else {
                throw ValidationError("--record-size-limit must be 64 ... 16385 (RFC 8449)")
            }
            guard !noRecordSizeLimit else {
                throw ValidationError("--record-size-limit and --no-record-size-limit cannot be combined")
            }
        }
        if let padding, !(1...16384).contains(padding) {
            throw ValidationError("--pad must be 1 ... 16384 bytes")
        }
    }

    /// Applies the options to `config`.
    func apply(to config: inout TLSClientConfiguration) {
        if let groups, !groups.isEmpty {
            config.supportedGroups = groups
            config.keyShareGroups = NameLists.keyShareGroups(for: groups)
        }
        if let ciphers { config.cipherSuites = ciphers }
        if let sigalgs { config.signatureAlgorithms = sigalgs }
        if let recordSizeLimit { config.recordSizeLimit = recordSizeLimit }
        if noRecordSizeLimit { config.recordSizeLimit = nil }
        if noOCSP { config.requestOCSPStapling = false }
        if noGREASE { config.grease = false }
        if noPermuteExtensions { config.permuteExtensions = false }
        if let certificateCompression { config.certificateDecompressors = certificateCompression }
        if let padding { config.clientHelloPadding = padding }
    }
}
