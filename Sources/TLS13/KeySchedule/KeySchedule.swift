/// The TLS 1.3 key schedule (RFC 8446 §7.1), as typed stages.
///
/// ```
///             0
///             |
///   PSK ->  HKDF-Extract = Early Secret          -> binder_key, c e traffic, e exp master
///             |
///       Derive-Secret(., "derived", "")
///             |
/// (EC)DHE -> HKDF-Extract = Handshake Secret     -> c hs traffic, s hs traffic
///             |
///       Derive-Secret(., "derived", "")
///             |
///   0 ->    HKDF-Extract = Master Secret         -> c ap traffic, s ap traffic, exp master, res master
/// ```
///
/// Each stage can only be reached from the one before it, so an application secret cannot be asked for
/// before the handshake secret exists. All stages share one ``HKDF`` (one reused HMAC context).
final class KeySchedule {
    let hkdf: HKDF
    var hash: HashAlgorithm { hkdf.algorithm }

    init(hash: HashAlgorithm) throws(TLSError) {
        hkdf = try HKDF(hash)
    }

    /// Early Secret = HKDF-Extract(0, PSK), with PSK = zeros when no PSK is used.
    func earlySecret(psk: SecretBytes? = nil) throws(TLSError) -> EarlySecret {
        EarlySecret(schedule: self, secret: try hkdf.extract(ikm: psk))
    }

    /// HKDF-Extract(Derive-Secret(secret, "derived", ""), ikm): the step between stages (`nil`: zeros).
    fileprivate func nextStage(from secret: SecretBytes, ikm: SecretBytes?) throws(TLSError) -> SecretBytes {
        let derived = try hkdf.deriveSecret(secret: secret, label: "derived", transcriptHash: hash.emptyHash())
        return try hkdf.extract(salt: derived, ikm: ikm)
    }

    // MARK: Per-secret derivations

    /// The traffic key and IV for a traffic secret (RFC 8446 §7.3).
    func trafficKeys(secret: SecretBytes, aead: AEADAlgorithm) throws(TLSError) -> TrafficKeys {
        var key = try hkdf.expandLabel(secret: secret, label: "key", context: [], length: aead.keyLength)
        var iv = try hkdf.expandLabel(secret: secret, label: "iv", context: [], length: aead.nonceLength)
        return TrafficKeys(key: SecretBytes(consuming: &key), iv: SecretBytes(consuming: &iv))
    }

    /// finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4).
    func finishedKey(secret: SecretBytes) throws(TLSError) -> SecretBytes {
        var k = try hkdf.expandLabel(secret: secret, label: "finished", context: [], length: hash.length)
        return SecretBytes(consuming: &k)
    }

    /// verify_data = HMAC(finished_key, Transcript-Hash(...)) (RFC 8446 §4.4.4); also the PSK binder.
    func verifyData(secret: SecretBytes, transcriptHash: [UInt8]) throws(TLSError) -> [UInt8] {
        let key = try finishedKey(secret: secret)
        return try key.withUnsafeBytes { (k) throws(TLSError) in try hkdf.hmac.authenticate(key: k, transcriptHash) }
    }

    /// application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length) (§7.2).
    func nextTrafficSecret(_ secret: SecretBytes) throws(TLSError) -> SecretBytes {
        var s = try hkdf.expandLabel(secret: secret, label: "traffic upd", context: [], length: hash.length)
        return SecretBytes(consuming: &s)
    }

    /// The PSK for a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length) (§4.6.1).
    func resumptionPSK(resumptionMasterSecret: SecretBytes, ticketNonce: [UInt8]) throws(TLSError) -> SecretBytes {
        var s = try hkdf.expandLabel(
            secret: resumptionMasterSecret, label: "resumption", context: ticketNonce, length: hash.length)
        return SecretBytes(consuming: &s)
    }

    /// TLS-Exporter(label, context_value, key_length) (RFC 8446 §7.5).
    func exportKeyingMaterial(
        exporterSecret: SecretBytes, label: String, context: [UInt8], length: Int
    ) throws(TLSError) -> [UInt8] {
        let derived = try hkdf.deriveSecret(secret: exporterSecret, label: label, transcriptHash: hash.emptyHash())
        return try hkdf.expandLabel(secret: derived, label: "exporter", context: try hash.hash(context), length: length)
    }
}

/// A traffic key and IV (RFC 8446 §7.3).
struct TrafficKeys {
    let key: SecretBytes
    let iv: SecretBytes
}

/// Stage 1: the Early Secret.
struct EarlySecret {
    let schedule: KeySchedule
    let secret: SecretBytes

    /// binder_key: Derive-Secret(Early Secret, "res binder" | "ext binder", "").
    func binderKey(resumption: Bool = true) throws(TLSError) -> SecretBytes {
        try schedule.hkdf.deriveSecret(
            secret: secret, label: resumption ? "res binder" : "ext binder",
            transcriptHash: schedule.hash.emptyHash())
    }

    /// client_early_traffic_secret: Derive-Secret(., "c e traffic", ClientHello).
    func clientEarlyTrafficSecret(transcriptHash: [UInt8]) throws(TLSError) -> SecretBytes {
        try schedule.hkdf.deriveSecret(secret: secret, label: "c e traffic", transcriptHash: transcriptHash)
    }

    /// early_exporter_master_secret: Derive-Secret(., "e exp master", ClientHello).
    func earlyExporterMasterSecret(transcriptHash: [UInt8]) throws(TLSError) -> SecretBytes {
        try schedule.hkdf.deriveSecret(secret: secret, label: "e exp master", transcriptHash: transcriptHash)
    }

    /// Handshake Secret = HKDF-Extract(Derive-Secret(., "derived", ""), (EC)DHE).
    func handshakeSecret(sharedSecret: SecretBytes) throws(TLSError) -> HandshakeSecret {
        HandshakeSecret(schedule: schedule, secret: try schedule.nextStage(from: secret, ikm: sharedSecret))
    }
}

/// Stage 2: the Handshake Secret.
struct HandshakeSecret {
    let schedule: KeySchedule
    let secret: SecretBytes

    /// client_handshake_traffic_secret: Derive-Secret(., "c hs traffic", ClientHello...ServerHello).
    func clientTrafficSecret(transcriptHash: [UInt8]) throws(TLSError) -> SecretBytes {
        try schedule.hkdf.deriveSecret(secret: secret, label: "c hs traffic", transcriptHash: transcriptHash)
    }

    /// server_handshake_traffic_secret: Derive-Secret(., "s hs traffic", ClientHello...ServerHello).
    func serverTrafficSecret(transcriptHash: [UInt8]) throws(TLSError) -> SecretBytes {
        try schedule.hkdf.deriveSecret(secret: secret, label: "s hs traffic", transcriptHash: transcriptHash)
    }

    /// Master Secret = HKDF-Extract(Derive-Secret(., "derived", ""), 0).
    func masterSecret() throws(TLSError) -> MasterSecret {
        MasterSecret(schedule: schedule, secret: try schedule.nextStage(from: secret, ikm: nil))
    }
}

/// Stage 3: the Master Secret.
struct MasterSecret {
    let schedule: KeySchedule
    let secret: SecretBytes

    /// client_application_traffic_secret_0: Derive-Secret(., "c ap traffic", ClientHello...server Finished).
    func clientTrafficSecret(transcriptHash: [UInt8]) throws(TLSError) -> SecretBytes {
        try schedule.hkdf.deriveSecret(secret: secret, label: "c ap traffic", transcriptHash: transcriptHash)
    }

    /// server_application_traffic_secret_0: Derive-Secret(., "s ap traffic", ClientHello...server Finished).
    func serverTrafficSecret(transcriptHash: [UInt8]) throws(TLSError) -> SecretBytes {
        try schedule.hkdf.deriveSecret(secret: secret, label: "s ap traffic", transcriptHash: transcriptHash)
    }

    /// exporter_master_secret: Derive-Secret(., "exp master", ClientHello...server Finished).
    func exporterMasterSecret(transcriptHash: [UInt8]) throws(TLSError) -> SecretBytes {
        try schedule.hkdf.deriveSecret(secret: secret, label: "exp master", transcriptHash: transcriptHash)
    }

    /// resumption_master_secret: Derive-Secret(., "res master", ClientHello...client Finished).
    func resumptionMasterSecret(transcriptHash: [UInt8]) throws(TLSError) -> SecretBytes {
        try schedule.hkdf.deriveSecret(secret: secret, label: "res master", transcriptHash: transcriptHash)
    }
}
