/// The decoded essentials of handshake messages for ``TLSEvent/handshakeMessage(_:)`` (Docs/Trace.md lists them):
/// built only when someone listens to the events.
enum TraceDescription {
    /// - Parameter certificates: where a Certificate message's certificates are parsed (the handshake's cache).
    static func fields(of message: HandshakeMessage, certificates: CertificateCache) -> [TLSTraceField] {
        switch message {
        case .clientHello(let m): return clientHello(m)
        case .serverHello(let m): return serverHello(m)
        case .helloRetryRequest(let m): return helloRetryRequest(m)
        case .encryptedExtensions(let m):
            return [TLSTraceField("extensions", .list(m.extensions.map { extensionEntry($0.extensionType, body: nil) }))]
                + m.extensions.compactMap { ext -> TLSTraceField? in
                    switch ext {
                    case .applicationLayerProtocolNegotiation(let name):
                        return TLSTraceField("alpn", .string(String(decoding: name, as: UTF8.self)))
                    case .recordSizeLimit(let limit): return TLSTraceField("recordSizeLimit", .integer(Int(limit)))
                    case .earlyData: return TLSTraceField("earlyDataAccepted", .bool(true))
                    case .supportedGroups(let groups): return TLSTraceField("serverGroups", .list(groups.map(group)))
                    default: return nil
                    }
                }
        case .certificate(let m):
            return [
                TLSTraceField("certificateRequestContextLength", .integer(m.certificateRequestContext.count)),
                TLSTraceField("certificates", .list(m.entries.map { certificate($0, certificates) })),
            ]
        case .certificateRequest(let m):
            return [
                TLSTraceField("contextLength", .integer(m.certificateRequestContext.count)),
                TLSTraceField("signatureAlgorithms", .list(m.signatureAlgorithms.map { .string("\($0)") })),
                TLSTraceField("extensions", .list(m.extensions.map { extensionEntry($0.extensionType, body: nil) })),
            ]
        case .certificateVerify(let m):
            return [
                TLSTraceField("scheme", .string("\(m.algorithm)")),
                TLSTraceField("signatureLength", .integer(m.signature.count)),
            ]
        case .finished(let m):
            return [TLSTraceField("verifyDataLength", .integer(m.verifyData.count))]
        case .newSessionTicket(let m):
            return [
                TLSTraceField("lifetime", .integer(Int(m.ticketLifetime))),
                TLSTraceField("ageAdd", .integer(Int(m.ticketAgeAdd))),
                TLSTraceField("nonceLength", .integer(m.ticketNonce.count)),
                TLSTraceField("ticketLength", .integer(m.ticket.count)),
                TLSTraceField("maxEarlyData", .integer(Int(m.maxEarlyDataSize ?? 0))),
            ]
        case .keyUpdate(let m):
            return [TLSTraceField("updateRequested", .bool(m.requestUpdate == .updateRequested))]
        case .endOfEarlyData:
            return []
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
    }

    private static func suite(_ s: CipherSuite) -> TLSTraceValue {
        .string(GREASE.isGREASE(s.rawValue) ? "\(hex16(s.rawValue)) (GREASE)" : "\(s)")
    }

    private static func group(_ g: NamedGroup) -> TLSTraceValue {
        .string(GREASE.isGREASE(g.rawValue) ? "\(hex16(g.rawValue)) (GREASE)" : g.displayName)
    }

    private static func version(_ v: ProtocolVersion) -> TLSTraceValue {
        .string(GREASE.isGREASE(v.rawValue) ? "\(hex16(v.rawValue)) (GREASE)" : "\(v)")
    }

    private static func hex16(_ v: UInt16) -> String {
        let digits = Array("0123456789abcdef")
        return "0x" + String([digits[Int(v >> 12)], digits[Int(v >> 8 & 0xF)], digits[Int(v >> 4 & 0xF)], digits[Int(v & 0xF)]])
    }

    private static func extensionEntry(_ type: ExtensionType, body: Int?) -> TLSTraceValue {
        let grease = GREASE.isGREASE(type.rawValue)
        var fields = [
            TLSTraceField("type", .integer(Int(type.rawValue))),
            TLSTraceField("name", .string(grease ? "GREASE" : "\(type)")),
            TLSTraceField("grease", .bool(grease)),
        ]
        if let body { fields.append(TLSTraceField("length", .integer(body))) }
        return .fields(fields)
    }

    private static func keyShare(_ entry: KeyShareEntry) -> TLSTraceValue {
        .fields([TLSTraceField("group", group(entry.group)), TLSTraceField("length", .integer(entry.keyExchange.count))])
    }

    private static func clientHello(_ m: ClientHello) -> [TLSTraceField] {
        var fields = [
            TLSTraceField("legacyVersion", .string("\(m.legacyVersion)")),
            TLSTraceField("random", .string(hex(m.random))),
            TLSTraceField("sessionIdLength", .integer(m.legacySessionID.count)),
            TLSTraceField("cipherSuites", .list(m.cipherSuites.map(suite))),
        ]
        var extensions: [TLSTraceValue] = []
        for ext in m.extensions {
            var writer = ByteWriter()
            try? ext.encodeBody(into: &writer)  // the hello was encoded before it was sent: this fits
            extensions.append(extensionEntry(ext.extensionType, body: writer.count))
            switch ext {
            case .serverName(let name): fields.append(TLSTraceField("serverName", .string(name)))
            case .supportedVersions(let versions): fields.append(TLSTraceField("supportedVersions", .list(versions.map(version))))
            case .supportedGroups(let groups): fields.append(TLSTraceField("groups", .list(groups.map(group))))
            case .keyShare(let shares): fields.append(TLSTraceField("keyShares", .list(shares.map(keyShare))))
            case .signatureAlgorithms(let schemes):
                fields.append(TLSTraceField("signatureAlgorithms", .list(schemes.map {
                    .string(GREASE.isGREASE($0.rawValue) ? "\(hex16($0.rawValue)) (GREASE)" : "\($0)")
                })))
            case .applicationLayerProtocolNegotiation(let names):
                fields.append(TLSTraceField("alpn", .list(names.map { .string(String(decoding: $0, as: UTF8.self)) })))
            case .preSharedKey(let offer):
                fields.append(TLSTraceField("pskIdentities", .list(offer.identities.map {
                    .fields([TLSTraceField("length", .integer($0.identity.count)),
                             TLSTraceField("obfuscatedAge", .integer(Int($0.obfuscatedTicketAge)))])
                })))
            case .earlyData: fields.append(TLSTraceField("earlyData", .bool(true)))
            case .cookie(let cookie): fields.append(TLSTraceField("cookieLength", .integer(cookie.count)))
            case .padding(let count): fields.append(TLSTraceField("padding", .integer(count)))
            default: break
            }
        }
        fields.append(TLSTraceField("extensions", .list(extensions)))
        return fields
    }

    private static func serverHello(_ m: ServerHello) -> [TLSTraceField] {
        var fields = [
            TLSTraceField("legacyVersion", .string("\(m.legacyVersion)")),
            TLSTraceField("random", .string(hex(m.random))),
            TLSTraceField("sessionIdLength", .integer(m.legacySessionIDEcho.count)),
            TLSTraceField("cipherSuite", suite(m.cipherSuite)),
        ]
        if let v = m.selectedVersion { fields.append(TLSTraceField("selectedVersion", version(v))) }
        if let share = m.keyShare { fields.append(TLSTraceField("keyShares", .list([keyShare(share)]))) }
        if let psk = m.selectedPSKIdentity { fields.append(TLSTraceField("selectedPSKIdentity", .integer(Int(psk)))) }
        fields.append(TLSTraceField("extensions", .list(m.extensions.map { extensionEntry($0.extensionType, body: nil) })))
        return fields
    }

    private static func helloRetryRequest(_ m: HelloRetryRequest) -> [TLSTraceField] {
        var fields = [TLSTraceField("cipherSuite", suite(m.cipherSuite))]
        var reasons: [String] = []
        if let g = m.selectedGroup {
            fields.append(TLSTraceField("selectedGroup", group(g)))
            reasons.append("the server wants a key share for \(g.displayName)")
        }
        if let cookie = m.cookie {
            fields.append(TLSTraceField("cookieLength", .integer(cookie.count)))
            reasons.append("a cookie to echo")
        }
        fields.append(TLSTraceField("hrrReason", .string(reasons.joined(separator: "; "))))
        fields.append(TLSTraceField("extensions", .list(m.extensions.map { extensionEntry($0.extensionType, body: nil) })))
        return fields
    }

    private static func certificate(_ entry: CertificateMessage.Entry, _ cache: CertificateCache) -> TLSTraceValue {
        var fields = [TLSTraceField("length", .integer(entry.certData.count))]
        if let parsed = try? cache.certificate(der: entry.certData) {
            fields += [
                TLSTraceField("subject", .string(parsed.subject)),
                TLSTraceField("issuer", .string(parsed.issuer)),
                TLSTraceField("notBefore", .string(parsed.notBefore)),
                TLSTraceField("notAfter", .string(parsed.notAfter)),
                TLSTraceField("keyType", .string((try? parsed.publicKey().key.typeDescription) ?? "unknown")),
                TLSTraceField("sans", .list(parsed.dnsNames.map { .string("DNS:\($0)") } + parsed.ipAddresses.map { .string("IP:\($0)") })),
            ]
        } else {
            fields.append(TLSTraceField("parse", .string("not a certificate this library can parse")))
        }
        if !entry.extensions.isEmpty {
            fields.append(TLSTraceField("extensions", .list(entry.extensions.map { extensionEntry($0.extensionType, body: $0.body.count) })))
        }
        return .fields(fields)
    }
}
