/// Lays out the ClientHellos (RFC 8446 §4.1.2) from what the handshake decided to put in them.
///
/// The handshake draws the randoms, makes the key shares (and keeps their private halves), chooses the PSK to offer,
/// and afterwards reads back what was offered from the hello it gets — the builder only arranges: which extensions,
/// in what order, with what padding. ``StandardClientHelloBuilder`` is the library's; it is an injected dependency
/// (``ClientStateMachine/Dependencies/clientHelloBuilder``) so that a test can send a recorded hello (the RFC 8448
/// tests send the trace's) through the same seam production code uses.
///
/// Whatever a builder returns is checked as it is adopted: every key share it lists must be one the handshake made
/// (else `internal_error`), and the PSK binder is computed by the handshake over the hello as returned.
protocol ClientHelloBuilder {
    /// The first ClientHello. A `pre_shared_key` extension, when `content.psk` is given, goes last with binders of
    /// the right length (any value: the handshake fills them in).
    func firstClientHello(_ content: ClientHelloContent) throws(TLSError) -> ClientHello
    /// The second ClientHello, answering a HelloRetryRequest (RFC 8446 §4.1.2: the first one with the requested key
    /// share, the cookie, no early_data, and the PSK only when its hash matches the suite the server chose).
    func secondClientHello(_ content: HelloRetryContent) throws(TLSError) -> ClientHello
    /// ClientHelloOuter for an Encrypted Client Hello offer (RFC 9849 §6.1), from the ClientHelloInner
    /// ``firstClientHello(_:)`` made (``ClientHelloContent/echInner``), everything but the sealed payload: the
    /// handshake seals the inner hello into the `encrypted_client_hello` extension (an empty placeholder marks its
    /// place). Returns the hello and the extension types to compress into `ech_outer_extensions` (contiguous in the
    /// inner hello, identical and in the same order in the outer one).
    func outerClientHello(_ content: OuterClientHelloContent) throws(TLSError)
        -> (hello: ClientHello, compressed: [ExtensionType])
}

extension ClientHelloBuilder {
    /// The library's layout of ClientHelloOuter (builders that only replay recorded hellos need no other).
    func outerClientHello(_ content: OuterClientHelloContent) throws(TLSError)
        -> (hello: ClientHello, compressed: [ExtensionType])
    {
        try StandardClientHelloBuilder().outerClientHello(content)
    }
}

/// What goes into the first ClientHello.
struct ClientHelloContent {
    let configuration: TLSClientConfiguration
    let identity: ClientStateMachine.ServerIdentity
    /// ClientHello.random: 32 bytes.
    let random: [UInt8]
    /// 32 bytes: middlebox compatibility mode (RFC 8446 §D.4).
    let legacySessionID: [UInt8]
    /// This connection's GREASE values (RFC 8701), `nil` with GREASE off.
    let grease: GREASE?
    /// The public halves of the key shares the handshake made, in the order they are sent.
    let keyShares: [KeyShareEntry]
    /// The PSK identity to offer with placeholder binders, or `nil`.
    let psk: OfferedPSKs?
    /// Whether to send the early_data extension (0-RTT data follows the hello).
    let offersEarlyData: Bool
    /// Draws this connection's extension order (``TLSClientConfiguration/permuteExtensions``); `nil`: the fixed order.
    var permutation: RandomSource? = nil
    /// This is ClientHelloInner of an ECH offer (RFC 9849 §6.1): it carries the `inner` marker, no RFC 7685 padding
    /// (ECH pads the encoded inner hello itself), and the extensions ClientHelloOuter will share stay contiguous.
    var echInner = false
    /// A GREASE `encrypted_client_hello` to send (RFC 9849 §6.2), or `nil`.
    var greaseECH: GREASEECHContent? = nil
}

/// A GREASE `encrypted_client_hello` (RFC 9849 §6.2.1): what the handshake drew; the builder sizes the payload as the
/// hello's EncodedClientHelloInner would be (``ECHGrease/payloadLength(for:)``) and fills it from `random`.
struct GREASEECHContent {
    let configID: UInt8
    /// A fresh X25519 public key (a valid KEM output).
    let enc: [UInt8]
    let random: RandomSource
}

/// What goes into ClientHelloOuter besides what it copies from ClientHelloInner (RFC 9849 §6.1).
struct OuterClientHelloContent {
    let configuration: TLSClientConfiguration
    /// ClientHelloInner as it will be sealed (PSK binders computed).
    let inner: ClientHello
    /// A fresh ClientHelloOuter.random.
    let random: [UInt8]
    /// The config's public_name: the outer server_name.
    let publicName: String
    /// The GREASE pre_shared_key mirroring the inner one (§6.1.2), when the inner hello offers a PSK.
    let psk: OfferedPSKs?
}

/// What changes in the second ClientHello.
struct HelloRetryContent {
    let configuration: TLSClientConfiguration
    /// The first ClientHello, as sent.
    let firstHello: ClientHello
    let retry: HelloRetryRequest
    /// The share for the group the HelloRetryRequest asked for, if it asked for one.
    let keyShare: KeyShareEntry?
    /// Whether pre_shared_key stays (its hash is the chosen suite's).
    let keepsPSK: Bool
    /// The GREASE values of the first hello (RFC 8701 §4: they do not change).
    let grease: GREASE?
    /// Whether RFC 7685 padding is recomputed (not for the hellos of an ECH offer, which ECH pads itself).
    var pads = true
}

/// The library's ClientHello layout. Extension order: a GREASE extension, the real ones (in a random order per
/// connection with ``ClientHelloContent/permutation``, ``ExtensionPermutation``), a second GREASE extension, padding,
/// and pre_shared_key last (§4.2.11). GREASE values (RFC 8701) lead each list they are in, and go only where
/// BoringSSL puts them (``GREASE``).
struct StandardClientHelloBuilder: ClientHelloBuilder {
    func firstClientHello(_ c: ClientHelloContent) throws(TLSError) -> ClientHello {
        let configuration = c.configuration
        let grease = c.grease
        var extensions: [ClientHelloExtension] = []
        if let grease { extensions.append(.unknown(grease.firstExtension, [])) }
        if case .dnsName(let name) = c.identity {
            // RFC 6066 §3: the host name goes "without a trailing dot".
            let sni = name.hasSuffix(".") ? String(name.dropLast()) : name
            if !sni.isEmpty { extensions.append(.serverName(sni)) }
        }
        extensions.append(.supportedVersions((grease.map { [$0.version] } ?? []) + [.tls13]))
        extensions.append(.supportedGroups((grease.map { [$0.group] } ?? []) + configuration.supportedGroups))
        var shares: [KeyShareEntry] = []
        if let grease { shares.append(KeyShareEntry(group: grease.group, keyExchange: GREASE.keyShare)) }
        extensions.append(.keyShare(shares + c.keyShares))
        // No GREASE here: BoringSSL never sent any by default, and Erlang/OTP 25 crashes on it (Docs/Security.md).
        extensions.append(.signatureAlgorithms(configuration.signatureAlgorithms))
        extensions.append(.signatureAlgorithmsCert(configuration.certificateSignatureAlgorithms))
        // Offered so that servers issue tickets (they send none to a client without it).
        extensions.append(.pskKeyExchangeModes([.pskDHEKE]))
        if configuration.requestOCSPStapling { extensions.append(.statusRequest) }
        if configuration.requestSignedCertificateTimestamps { extensions.append(.signedCertificateTimestamp) }
        if let limit = configuration.recordSizeLimit { extensions.append(.recordSizeLimit(UInt16(limit))) }
        if configuration.clientCertificate != nil { extensions.append(.postHandshakeAuth) }
        if !configuration.applicationProtocols.isEmpty {
            extensions.append(.applicationLayerProtocolNegotiation(configuration.applicationProtocols.map { Array($0.utf8) }))
        }
        if !configuration.certificateDecompressors.isEmpty {
            extensions.append(try CompressCertificateExtension(
                algorithms: configuration.certificateDecompressors.map(\.algorithm)).clientHelloExtension)
        }
        if c.offersEarlyData { extensions.append(.earlyData) }
        if c.echInner {
            extensions.append(try ECHClientHello.inner.clientHelloExtension)
        } else if c.greaseECH != nil {
            extensions.append(.unknown(.encryptedClientHello, []))  // sized below, once the rest is in place
        }
        var together: [ExtensionType] = []
        if c.echInner {
            // What ClientHelloOuter will carry identically goes as one block (RFC 9849 §6.1: compressed extensions
            // are consecutive); the rest (server_name, the marker, ALPN unless the outer shows the same) first.
            let middle = extensions.dropFirst(grease == nil ? 0 : 1)
            let shared = middle.filter { Self.sharedWithOuter($0, configuration) }
            extensions = Array(extensions.prefix(grease == nil ? 0 : 1))
                + middle.filter { !Self.sharedWithOuter($0, configuration) } + shared
            together = shared.map(\.extensionType)
        }
        if let grease { extensions.append(.unknown(grease.secondExtension, GREASE.secondExtensionBody)) }
        if let psk = c.psk { extensions.append(.preSharedKey(psk)) }  // last (§4.2.11)
        if let random = c.permutation {
            // The leading GREASE extension, the trailing one and pre_shared_key stay where they are.
            extensions = try ExtensionPermutation.permute(extensions, random: random, together: together)
        }
        var hello = ClientHello(
            random: c.random, legacySessionID: c.legacySessionID,
            cipherSuites: (grease.map { [$0.cipherSuite] } ?? []) + configuration.cipherSuites,
            extensions: extensions)
        if let greaseECH = c.greaseECH, !c.echInner,
            let index = hello.extensions.firstIndex(where: { $0.extensionType == .encryptedClientHello })
        {
            // Sized as this client's ClientHelloInner would be, its shared extensions compressed (RFC 9849 §6.2.1).
            let length = try ECHGrease.payloadLength(for: hello) { Self.sharedWithOuter($0, configuration) }
            hello.extensions[index] = try ECHClientHello.outer(
                cipherSuite: ECHGrease.cipherSuite, configID: greaseECH.configID, enc: greaseECH.enc,
                payload: try greaseECH.random.bytes(length)).clientHelloExtension
        }
        if !c.echInner { try pad(&hello, to: configuration.clientHelloPadding) }
        return hello
    }

    /// Whether ClientHelloOuter carries `ext` exactly as ClientHelloInner does (so it is compressed): everything but
    /// server_name (the public name outside), `encrypted_client_hello`, pre_shared_key (GREASE outside), padding, the
    /// cookie, the GREASE extensions (kept in their places), and ALPN unless the outer list is the inner one.
    static func sharedWithOuter(_ ext: ClientHelloExtension, _ configuration: TLSClientConfiguration) -> Bool {
        switch ext.extensionType {
        case .serverName, .encryptedClientHello, .preSharedKey, .padding, .cookie: return false
        case .applicationLayerProtocolNegotiation:
            return configuration.echOuterApplicationProtocols == configuration.applicationProtocols
        default: return !ext.extensionType.isGREASE
        }
    }

    func outerClientHello(_ c: OuterClientHelloContent) throws(TLSError) -> (hello: ClientHello, compressed: [ExtensionType]) {
        var extensions: [ClientHelloExtension] = []
        var compressed: [ExtensionType] = []
        let outerALPN = (c.configuration.echOuterApplicationProtocols ?? []).map { Array($0.utf8) }
        for ext in c.inner.extensions {
            switch ext.extensionType {
            case .serverName:
                extensions.append(.serverName(c.publicName))
            case .encryptedClientHello:
                extensions.append(.unknown(.encryptedClientHello, []))  // the handshake seals the inner hello here
            case .preSharedKey:
                if let psk = c.psk { extensions.append(.preSharedKey(psk)) }
            case .padding, .cookie:
                break
            case .applicationLayerProtocolNegotiation where !Self.sharedWithOuter(ext, c.configuration):
                if !outerALPN.isEmpty { extensions.append(.applicationLayerProtocolNegotiation(outerALPN)) }
            default:
                extensions.append(ext)
                if Self.sharedWithOuter(ext, c.configuration) { compressed.append(ext.extensionType) }
            }
        }
        if c.inner.extension(.serverName) == nil, !c.publicName.isEmpty {
            // An inner hello without SNI (an IP address): the outer one still names the public name (§6.1 step 5).
            let at = c.inner.extensions.first.map { $0.extensionType.isGREASE ? 1 : 0 } ?? 0
            extensions.insert(.serverName(c.publicName), at: at)
        }
        let hello = ClientHello(
            random: c.random, legacySessionID: c.inner.legacySessionID, cipherSuites: c.inner.cipherSuites,
            extensions: extensions)
        return (hello, compressed)
    }

    func secondClientHello(_ c: HelloRetryContent) throws(TLSError) -> ClientHello {
        var hello = c.firstHello
        if let share = c.keyShare {
            hello.extensions = hello.extensions.map { ext in
                if case .keyShare = ext { return .keyShare([share]) }
                return ext
            }
        }
        hello.extensions.removeAll { $0.extensionType == .earlyData || $0.extensionType == .cookie }
        if !c.keepsPSK { hello.extensions.removeAll { $0.extensionType == .preSharedKey } }
        if let cookie = c.retry.cookie {
            // With the other extensions, before the second GREASE one, padding and pre_shared_key.
            let tail: Set<ExtensionType> = [.padding, .preSharedKey, c.grease?.secondExtension ?? .preSharedKey]
            let index = hello.extensions.firstIndex { tail.contains($0.extensionType) } ?? hello.extensions.endIndex
            hello.extensions.insert(.cookie(cookie), at: index)
        }
        // The GREASE values stay as they were (RFC 8701 §4); the padding is recomputed (§4.1.2 allows it).
        if c.pads { try pad(&hello, to: c.configuration.clientHelloPadding) }
        return hello
    }

    /// Replaces any padding extension of `hello` with one that brings it to `target` bytes (RFC 7685), just before
    /// pre_shared_key (whose binders already have their final length).
    private func pad(_ hello: inout ClientHello, to target: Int?) throws(TLSError) {
        hello.extensions.removeAll { $0.extensionType == .padding }
        guard let target else { return }
        let length = try HandshakeMessage.clientHello(hello).encoded.count
        guard length < target else { return }
        let index = hello.extensions.firstIndex { $0.extensionType == .preSharedKey } ?? hello.extensions.endIndex
        hello.extensions.insert(.padding(max(0, target - length - 4)), at: index)
    }
}
