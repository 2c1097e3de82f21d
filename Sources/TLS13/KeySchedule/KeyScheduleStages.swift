/// The key schedule as the handshake holds it between two messages: one type per stage, each made from the one
/// before (rustls's `KeyScheduleHandshake` → `KeyScheduleTraffic`), so a state holds exactly the secrets it can use.
///
/// ```
/// ServerHello ──► HandshakeKeySchedule ── server Finished, client Finished ──► TrafficKeySchedule
///                 handshake secret,                                             application traffic secrets (N),
///                 c/s hs traffic secrets                                        exporter, resumption master
/// ```

/// From the ServerHello to the Finished messages: the Handshake Secret and the two handshake traffic secrets
/// derived from it over ClientHello…ServerHello (RFC 8446 §7.1).
struct HandshakeKeySchedule {
    let suite: CipherSuiteParameters
    let secret: HandshakeSecret
    /// client_handshake_traffic_secret: the client's flight and its Finished.
    let clientTrafficSecret: SecretBytes
    /// server_handshake_traffic_secret: the server's flight and its Finished.
    let serverTrafficSecret: SecretBytes

    var schedule: KeySchedule { secret.schedule }

    /// Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE), and its traffic secrets.
    ///
    /// - Parameters:
    ///   - psk: the resumption PSK the server accepted, or `nil` (zeros) for a full handshake.
    ///   - transcriptHash: Transcript-Hash(ClientHello…ServerHello).
    init(
        suite: CipherSuiteParameters, schedule: KeySchedule, psk: SecretBytes?, sharedSecret: SecretBytes,
        transcriptHash: [UInt8]
    ) throws(TLSError) {
        self.suite = suite
        secret = try schedule.earlySecret(psk: psk).handshakeSecret(sharedSecret: sharedSecret)
        clientTrafficSecret = try secret.clientTrafficSecret(transcriptHash: transcriptHash)
        serverTrafficSecret = try secret.serverTrafficSecret(transcriptHash: transcriptHash)
    }

    /// The traffic key and IV of the client's handshake traffic secret.
    func clientKeys() throws(TLSError) -> TrafficKeys {
        try schedule.trafficKeys(secret: clientTrafficSecret, aead: suite.aead)
    }

    /// The traffic key and IV of the server's handshake traffic secret.
    func serverKeys() throws(TLSError) -> TrafficKeys {
        try schedule.trafficKeys(secret: serverTrafficSecret, aead: suite.aead)
    }
}

/// After the handshake: the application traffic secrets of the current generation (each side moves to the next on
/// a KeyUpdate, §7.2), the exporter master secret and the resumption master secret.
struct TrafficKeySchedule {
    let suite: CipherSuiteParameters
    let schedule: KeySchedule
    /// client_application_traffic_secret_N.
    private(set) var clientTrafficSecret: SecretBytes
    /// server_application_traffic_secret_N.
    private(set) var serverTrafficSecret: SecretBytes
    let exporterMasterSecret: SecretBytes
    let resumptionMasterSecret: SecretBytes

    init(
        suite: CipherSuiteParameters, schedule: KeySchedule, clientTrafficSecret: SecretBytes,
        serverTrafficSecret: SecretBytes, exporterMasterSecret: SecretBytes, resumptionMasterSecret: SecretBytes
    ) {
        self.suite = suite
        self.schedule = schedule
        self.clientTrafficSecret = clientTrafficSecret
        self.serverTrafficSecret = serverTrafficSecret
        self.exporterMasterSecret = exporterMasterSecret
        self.resumptionMasterSecret = resumptionMasterSecret
    }

    /// Moves the client's sending secret to the next generation and returns it.
    mutating func updateClientTrafficSecret() throws(TLSError) -> SecretBytes {
        clientTrafficSecret = try schedule.nextTrafficSecret(clientTrafficSecret)
        return clientTrafficSecret
    }

    /// Moves the server's sending secret to the next generation and returns it.
    mutating func updateServerTrafficSecret() throws(TLSError) -> SecretBytes {
        serverTrafficSecret = try schedule.nextTrafficSecret(serverTrafficSecret)
        return serverTrafficSecret
    }

    /// The traffic key and IV of `secret` under this suite.
    func keys(_ secret: SecretBytes) throws(TLSError) -> TrafficKeys {
        try schedule.trafficKeys(secret: secret, aead: suite.aead)
    }

    /// The PSK a ticket stands for (§4.6.1).
    func resumptionPSK(ticketNonce: [UInt8]) throws(TLSError) -> SecretBytes {
        try schedule.resumptionPSK(resumptionMasterSecret: resumptionMasterSecret, ticketNonce: ticketNonce)
    }

    /// TLS-Exporter(label, context_value, key_length) (§7.5).
    func exportKeyingMaterial(label: String, context: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        try schedule.exportKeyingMaterial(
            exporterSecret: exporterMasterSecret, label: label, context: context, length: length)
    }
}
