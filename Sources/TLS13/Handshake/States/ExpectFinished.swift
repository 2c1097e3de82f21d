/// WAIT_FINISHED (RFC 8446 §A.1): the handshake keys, the transcript through the server's last message, and how the
/// server authenticated (its certificate, with a CertificateRequest to answer or not; or the resumed session, with
/// its early data).
struct ExpectFinished: ~Copyable {
    let keys: HandshakeKeySchedule
    let transcript: TranscriptHash
    /// The ClientHello's random: the key log's key for the application secrets.
    let clientRandom: [UInt8]
    /// Checked against again after the handshake (NewSessionTicket extensions, post_handshake_auth).
    let offeredExtensions: Set<ExtensionType>
    let authentication: PeerAuthentication

    /// The server's Finished (§4.4.4): verified, then the application secrets, then the client's flight —
    /// [EndOfEarlyData] [change_cipher_spec] [Certificate, CertificateVerify] Finished — and the connection is up.
    consuming func handle(_ finished: Finished, bytes: [UInt8], _ cx: inout ClientContext) throws(TLSError) -> ClientState {
        let schedule = keys.schedule
        let suite = keys.suite
        guard finished.verifyData.count == schedule.hash.length else {
            throw TLSError.decode(reason: "Finished verify_data is \(finished.verifyData.count) bytes, not \(schedule.hash.length)")
        }
        let expected = try schedule.verifyData(secret: keys.serverTrafficSecret, transcriptHash: try transcript.current())
        guard constantTimeEqual(expected, finished.verifyData) else {
            throw TLSError.protocolViolation(alert: .decryptError, reason: "server Finished does not verify")
        }
        try cx.reassembler.requireMessageBoundary("Finished")
        transcript.update(bytes)
        cx.records.allowsChangeCipherSpec = false

        // The application secrets, over ClientHello…server Finished; the server's records use them from here.
        let master = try keys.secret.masterSecret()
        let thSF = try transcript.current()
        let clientSecret = try master.clientTrafficSecret(transcriptHash: thSF)
        let serverSecret = try master.serverTrafficSecret(transcriptHash: thSF)
        let exporterSecret = try master.exporterMasterSecret(transcriptHash: thSF)
        cx.logSecret("CLIENT_TRAFFIC_SECRET_0", clientSecret, clientRandom: clientRandom)
        cx.logSecret("SERVER_TRAFFIC_SECRET_0", serverSecret, clientRandom: clientRandom)
        cx.logSecret("EXPORTER_SECRET", exporterSecret, clientRandom: clientRandom)
        try cx.installReadKeys(try schedule.trafficKeys(secret: serverSecret, aead: suite.aead), suite, epoch: .application)

        // 0-RTT accepted: EndOfEarlyData under the early keys ends it (§4.5), then the handshake keys.
        var earlyDataRemainder: [UInt8] = []
        if case .resumed(let session) = authentication, case .accepted(let remainder) = session.earlyData {
            let eoed = try HandshakeMessage.endOfEarlyData.encoded
            try cx.send(.endOfEarlyData, encoded: eoed)
            transcript.update(eoed)
            try cx.installWriteKeys(try keys.clientKeys(), suite, epoch: .handshake)
            earlyDataRemainder = remainder
        }

        // Our flight: [change_cipher_spec] [Certificate, CertificateVerify] Finished, under the handshake keys.
        cx.queueCompatibilityCCSBeforeProtectedRecord()
        var flight: [UInt8] = []
        if case .certificate(_, let request?) = authentication {
            flight += try cx.clientAuthentication(answering: request, transcript: transcript)
        }
        let verifyData = try schedule.verifyData(secret: keys.clientTrafficSecret, transcriptHash: try transcript.current())
        let clientFinished = try HandshakeMessage.finished(Finished(verifyData: verifyData)).encoded
        transcript.update(clientFinished)
        flight += clientFinished
        cx.traceMessage(.finished(Finished(verifyData: verifyData)), .sent, length: clientFinished.count)
        try cx.records.write(.handshake, payload: flight[...], into: &cx.output)

        let resumptionSecret = try master.resumptionMasterSecret(transcriptHash: try transcript.current())
        cx.logSecret("RESUMPTION_MASTER_SECRET", resumptionSecret, clientRandom: clientRandom)
        try cx.installWriteKeys(try schedule.trafficKeys(secret: clientSecret, aead: suite.aead), suite, epoch: .application)

        let traffic = TrafficKeySchedule(
            suite: suite, schedule: schedule, clientTrafficSecret: clientSecret, serverTrafficSecret: serverSecret,
            exporterMasterSecret: exporterSecret, resumptionMasterSecret: resumptionSecret)
        return .connected(PostHandshake(
            keys: traffic, offeredExtensions: offeredExtensions,
            // Each post-handshake CertificateRequest is answered over the transcript through the client Finished.
            authenticationTranscript: offeredExtensions.contains(.postHandshakeAuth) ? transcript : nil,
            tickets: authentication.ticketFacts(cx), earlyDataRemainder: earlyDataRemainder))
    }
}

/// How the server authenticated, as the Finished step needs it.
enum PeerAuthentication {
    /// With its certificate (a full handshake): what checking the chain concluded, and the CertificateRequest the
    /// client's flight answers, if the server sent one.
    case certificate(ServerCertificateCheck.Outcome, certificateRequest: CertificateRequest?)
    /// With the PSK of the session offered (its authentication stands), and what became of its early data.
    case resumed(ResumptionOffer)

    /// What the sessions made from this connection's tickets inherit.
    func ticketFacts(_ cx: ClientContext) -> TicketFacts {
        switch self {
        case .certificate(let outcome, _):
            return TicketFacts(
                serverName: cx.identity.sessionName, certificateVerification: outcome.verification,
                ocspStaplingRequested: cx.configuration.requestOCSPStapling)
        case .resumed(let offer):
            // A resumed connection passes on the staple only when it asked for one itself (see info.ocspResponse).
            return TicketFacts(
                serverName: cx.identity.sessionName,
                certificateVerification: offer.check?.verification ?? .notVerified,
                ocspStaplingRequested: cx.configuration.requestOCSPStapling && offer.session.ocspStaplingRequested)
        }
    }
}
