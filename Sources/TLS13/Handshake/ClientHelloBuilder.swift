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
}

/// The library's ClientHello layout. Extension order: a GREASE extension, the real ones, a second GREASE extension,
/// padding, and pre_shared_key last (§4.2.11). GREASE values (RFC 8701) lead each list they are in.
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
        extensions.append(.signatureAlgorithms(
            (grease.map { [$0.signatureScheme] } ?? []) + configuration.signatureAlgorithms))
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
        if c.offersEarlyData { extensions.append(.earlyData) }
        if let grease { extensions.append(.unknown(grease.secondExtension, GREASE.secondExtensionBody)) }
        if let psk = c.psk { extensions.append(.preSharedKey(psk)) }  // last (§4.2.11)
        var hello = ClientHello(
            random: c.random, legacySessionID: c.legacySessionID,
            cipherSuites: (grease.map { [$0.cipherSuite] } ?? []) + configuration.cipherSuites,
            extensions: extensions)
        try pad(&hello, to: configuration.clientHelloPadding)
        return hello
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
        try pad(&hello, to: c.configuration.clientHelloPadding)
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
