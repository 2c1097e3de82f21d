// ClientHelloInner and ClientHelloOuter as bytes (RFC 9849 §5.1, §5.2, §6.1.3): pure functions over `ClientHello`.
// The client uses `encode(inner:…)` and `outerAAD(_:)`; `decode(_:outer:)` is the client-facing server's side, for
// tests and test servers, with every check §5.1 makes the server do.

/// EncodedClientHelloInner (RFC 9849 §5.1):
///
/// ```
/// struct {
///     ClientHello client_hello;
///     uint8 zeros[length_of_padding];
/// } EncodedClientHelloInner;
/// ```
enum EncodedClientHelloInner {
    /// The padding RFC 9849 §6.1.3 recommends for an inner ClientHello whose `server_name` is `serverNameLength`
    /// bytes long (`nil`: no `server_name`), under a config with `maximumNameLength`, when the rest of the encoding is
    /// `unpaddedLength` bytes:
    ///
    /// 1. with a name of length D, max(0, L − D) bytes; without one, L + 9 (the size of a `server_name` extension
    ///    with an L-byte name);
    /// 2. then N = 31 − ((total − 1) mod 32) more, so the whole is a multiple of 32.
    static func paddingLength(unpaddedLength: Int, serverNameLength: Int?, maximumNameLength: UInt8) -> Int {
        let l = Int(maximumNameLength)
        var padding: Int
        if let d = serverNameLength {
            padding = max(0, l - d)
        } else {
            padding = l + 9
        }
        let total = unpaddedLength + padding
        padding += 31 - ((total - 1) % 32 + 32) % 32
        return padding
    }

    /// Encodes `inner` as EncodedClientHelloInner: `legacy_session_id` emptied, the extensions of types
    /// `outerExtensions` replaced by one `ech_outer_extensions` naming them (they must be present, contiguous and in
    /// that order in `inner`, and must be copied into ClientHelloOuter in the same relative order), then padded as
    /// ``paddingLength(unpaddedLength:serverNameLength:maximumNameLength:)`` says.
    ///
    /// - Parameters:
    ///   - inner: ClientHelloInner, with its `encrypted_client_hello` of type `inner`.
    ///   - outerExtensions: the extension types to compress (not `encrypted_client_hello`, not `pre_shared_key`,
    ///     at most 127).
    ///   - maximumNameLength: the selected ECHConfig's `maximum_name_length`.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when `outerExtensions` breaks those rules (a builder's bug,
    ///   not the peer's), or when the encoding overflows a length field.
    static func encode(
        inner: ClientHello, outerExtensions: [ExtensionType] = [], maximumNameLength: UInt8
    ) throws(TLSError) -> [UInt8] {
        var hello = inner
        hello.legacySessionID = []
        if !outerExtensions.isEmpty {
            guard outerExtensions.count <= 127 else {
                throw .invalidConfiguration("ech_outer_extensions holds at most 127 types, not \(outerExtensions.count)")
            }
            guard !outerExtensions.contains(.encryptedClientHello), !outerExtensions.contains(.preSharedKey),
                Set(outerExtensions.map(\.rawValue)).count == outerExtensions.count
            else {
                throw .invalidConfiguration("ech_outer_extensions may not name encrypted_client_hello, pre_shared_key "
                    + "or one type twice")
            }
            let types = hello.extensions.map(\.extensionType)
            guard let start = types.firstIndex(of: outerExtensions[0]),
                start + outerExtensions.count <= types.count,
                Array(types[start..<(start + outerExtensions.count)]) == outerExtensions
            else {
                throw .invalidConfiguration("the extensions to compress (\(outerExtensions)) are not contiguous and in "
                    + "order in ClientHelloInner")
            }
            hello.extensions.replaceSubrange(
                start..<(start + outerExtensions.count),
                with: [try ECHOuterExtensions(types: outerExtensions).clientHelloExtension])
        }
        var encoded = try ByteWriter.encoding("ClientHelloInner", reservingCapacity: 512) {
            (w) throws(EncodingError) in try hello.encode(into: &w)
        }
        var serverNameLength: Int?
        if case .serverName(let name)? = inner.extension(.serverName) { serverNameLength = name.utf8.count }
        let padding = paddingLength(
            unpaddedLength: encoded.count, serverNameLength: serverNameLength, maximumNameLength: maximumNameLength)
        encoded.append(contentsOf: repeatElement(0, count: padding))
        return encoded
    }

    /// The client-facing server's side (RFC 9849 §5.1, §7.1): ClientHelloInner from a decrypted
    /// EncodedClientHelloInner and the ClientHelloOuter it came in.
    ///
    /// - Throws: `illegal_parameter` when a padding byte is not zero, a referenced extension is missing from
    ///   ClientHelloOuter, referenced twice or out of order, `encrypted_client_hello` is referenced, or
    ///   `ech_outer_extensions` appears twice; `decode_error` for malformed bytes.
    static func decode(_ encoded: [UInt8], outer: ClientHello) throws(TLSError) -> ClientHello {
        var reader = ByteReader(encoded)
        var hello = try ClientHello(from: &reader)
        guard reader.readRest().allSatisfy({ $0 == 0 }) else {
            throw TLSError.illegalParameter("EncodedClientHelloInner: non-zero padding")
        }
        hello.legacySessionID = outer.legacySessionID
        let markers = hello.extensions.indices.filter { hello.extensions[$0].extensionType == .echOuterExtensions }
        guard markers.count <= 1 else {
            throw TLSError.illegalParameter("EncodedClientHelloInner: two ech_outer_extensions")
        }
        guard let marker = markers.first, case .unknown(_, let body) = hello.extensions[marker] else { return hello }
        let references = try ECHOuterExtensions(body: body).types
        guard Set(references.map(\.rawValue)).count == references.count else {
            throw TLSError.illegalParameter("ech_outer_extensions names an extension twice")
        }
        guard !references.contains(.encryptedClientHello) else {
            throw TLSError.illegalParameter("ech_outer_extensions names encrypted_client_hello")
        }
        // One pass over the outer extensions, in order (linear time, RFC 9849 Appendix A).
        var copied: [ClientHelloExtension] = []
        var next = outer.extensions.startIndex
        for type in references {
            while next < outer.extensions.endIndex, outer.extensions[next].extensionType != type { next += 1 }
            guard next < outer.extensions.endIndex else {
                throw TLSError.illegalParameter("ech_outer_extensions: \(type) missing from ClientHelloOuter or out "
                    + "of order")
            }
            copied.append(outer.extensions[next])
            next += 1
        }
        hello.extensions.replaceSubrange(marker...marker, with: copied)
        var seen = Set<UInt16>()
        guard hello.extensions.allSatisfy({ seen.insert($0.extensionType.rawValue).inserted }) else {
            throw TLSError.illegalParameter("ClientHelloInner: an extension appears twice after decompression")
        }
        return hello
    }
}

/// ClientHelloOuterAAD (RFC 9849 §5.2): "a serialized ClientHello structure ... which matches the ClientHelloOuter
/// except that the payload field of the "encrypted_client_hello" is replaced with a byte string of the same length
/// but whose contents are zeros", without the handshake header.
enum ClientHelloOuterAAD {
    /// The AAD for `outer`, whose `encrypted_client_hello` is of type `outer`.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when `outer` has no outer ECH extension or does not encode.
    static func bytes(_ outer: ClientHello) throws(TLSError) -> [UInt8] {
        guard let index = outer.extensions.firstIndex(where: { $0.extensionType == .encryptedClientHello }),
            case .unknown(_, let body) = outer.extensions[index],
            case .outer(let suite, let configID, let enc, let payload) = try ECHClientHello(body: body)
        else {
            throw .invalidConfiguration("ClientHelloOuterAAD needs an outer encrypted_client_hello extension")
        }
        var aad = outer
        aad.extensions[index] = try ECHClientHello.outer(
            cipherSuite: suite, configID: configID, enc: enc, payload: [UInt8](repeating: 0, count: payload.count)
        ).clientHelloExtension
        return try ByteWriter.encoding("ClientHelloOuter", reservingCapacity: 512) {
            (w) throws(EncodingError) in try aad.encode(into: &w)
        }
    }
}
