/// A session offered for resumption (RFC 8446 §2.2, §4.2.11), and what became of its 0-RTT data.
///
/// It travels with the handshake states until the ServerHello says whether the server took the PSK: then it is
/// dropped (a full handshake) or becomes the server's authentication (``PeerAuthentication/resumed(_:)``).
struct ResumptionOffer {
    let session: TLSSession
    /// What checking the session's certificate chain again concluded before it was offered (`nil`: nothing to check,
    /// as verification is off and there is no handler).
    let check: ServerCertificateCheck.Outcome?
    var earlyData: EarlyDataState

    /// The session to offer with `earlyData` for this connection, or `nil` with the reason in `info`.
    ///
    /// A session is offered only if ``ClientStateMachine/checkOffer(of:configuration:identity:dependencies:)`` allows
    /// it; its early data only if the ticket allows 0-RTT with an offered suite and ALPN protocol. Up to the ticket's
    /// max_early_data_size goes as 0-RTT; the rest waits for the handshake.
    static func plan(
        session: TLSSession?, earlyData: [UInt8]?, _ cx: inout ClientContext
    ) -> ResumptionOffer? {
        var offer: ResumptionOffer? = nil
        if let session {
            do throws(TLSError) {
                let check = try ClientStateMachine.checkOffer(
                    of: session, configuration: cx.configuration, identity: cx.identity, dependencies: cx.deps)
                offer = ResumptionOffer(session: session, check: check, earlyData: .none)
            } catch {
                // Not offered: the handshake is a full one, and says why.
                cx.info.sessionNotOfferedReason = error.description
                cx.trace(.note("session not offered: \(error.description)"))
            }
        }
        guard let earlyData else { return offer }
        guard let session = offer?.session else {
            cx.info.earlyDataReason = .noSession
            return offer
        }
        let configuration = cx.configuration
        if !session.allowsEarlyData {
            cx.info.earlyDataReason = .sessionDoesNotAllowEarlyData
        } else if !configuration.cipherSuites.contains(session.cipherSuite) {
            cx.info.earlyDataReason = .cipherSuiteNotOffered
        } else if !(session.applicationProtocol.map({ configuration.applicationProtocols.contains($0) }) ?? true) {
            cx.info.earlyDataReason = .applicationProtocolMismatch
        } else {
            let limit = Int(session.maxEarlyDataSize)
            offer?.earlyData = .offered(data: Array(earlyData.prefix(limit)), remainder: Array(earlyData.dropFirst(limit)))
        }
        return offer
    }
}

/// 0-RTT early data through the handshake (RFC 8446 §2.3, §4.2.10): offered with the first ClientHello, sent under the
/// early traffic keys, then accepted (EndOfEarlyData owed, then the remainder after the handshake) or rejected.
///
/// ```
/// none
/// offered ──ClientHello──► sent ──ServerHello (PSK taken)──► sent ──EncryptedExtensions──► accepted ──Finished──► remainder owed
///                           │                                                          └──► rejected (declined by server)
///                           ├──HelloRetryRequest──► rejected
///                           └──ServerHello (full handshake)──► rejected
/// ```
/// The outcome is reported in ``TLSSessionInfo/earlyData`` and ``TLSSessionInfo/earlyDataReason`` (and the trace) at
/// each step.
enum EarlyDataState: Equatable {
    /// None to send: none given, or not allowed (``TLSSessionInfo/earlyDataReason`` says why).
    case none
    /// To go with the first ClientHello: `data` as 0-RTT, `remainder` (beyond the ticket's limit) once the handshake
    /// is done, if the server accepts the 0-RTT part.
    case offered(data: [UInt8], remainder: [UInt8])
    /// Sent under client_early_traffic_secret; the server has not said whether it took it.
    case sent(data: [UInt8], remainder: [UInt8])
    /// EncryptedExtensions took it: EndOfEarlyData goes before the client's Finished, the remainder after the handshake.
    case accepted(remainder: [UInt8])
    /// The server did not take it (``TLSSessionInfo/earlyDataReason`` says how).
    case rejected

    /// Whether the early data went out and the server has not answered yet.
    var isAwaitingAnswer: Bool {
        if case .sent = self { return true }
        return false
    }

    /// The 0-RTT part that went out (kept until the server's answer, so a caller may resend it); empty otherwise.
    var sentData: [UInt8] {
        if case .sent(let data, _) = self { return data }
        return []
    }

    /// The part beyond the ticket's limit, while it may still go out after the handshake.
    var remainder: [UInt8] {
        switch self {
        case .offered(_, let remainder), .sent(_, let remainder), .accepted(let remainder): remainder
        case .none, .rejected: []
        }
    }

    /// The server's answer was no (`reason`), if early data had been sent: reported, and the state is `rejected`.
    /// Returns whether there was an answer to give.
    @discardableResult
    mutating func reject(_ reason: TLSEarlyDataReason, _ cx: inout ClientContext) -> Bool {
        guard isAwaitingAnswer else { return false }
        self = .rejected
        cx.info.earlyData = .rejected
        cx.info.earlyDataReason = reason
        cx.trace(.earlyData(.rejected, reason: reason))
        return true
    }

    /// EncryptedExtensions accepted the early data.
    mutating func accept(_ cx: inout ClientContext) {
        guard case .sent(_, let remainder) = self else { return }
        self = .accepted(remainder: remainder)
        cx.info.earlyData = .accepted
        cx.info.earlyDataReason = .accepted
        cx.trace(.earlyData(.accepted, reason: .accepted))
    }
}

extension ClientStateMachine {
    /// Whether `session` may be offered on this connection, and what checking its server certificate again
    /// concluded: a session is trusted no more than a full handshake with its chain would be now.
    ///
    /// It must be within its lifetime, issued for this server name, usable with an offered suite's hash, and its
    /// saved chain and OCSP response must pass ``ServerCertificateCheck`` under this configuration at this time
    /// (trust roots, name, verification handler, validity, revocation). A session from a connection that did not
    /// verify certificates is never offered to one that does; with verification off and no handler there is
    /// nothing to check again.
    ///
    /// - Throws: why not (``TLSError/certificateRejected(alert:reason:)`` when the chain is not accepted now,
    ///   ``TLSError/invalidConfiguration(_:)`` for the other reasons); the session is then not offered.
    static func checkOffer(
        of session: TLSSession, configuration: TLSClientConfiguration, identity: ServerIdentity,
        dependencies: Dependencies
    ) throws(TLSError) -> ServerCertificateCheck.Outcome? {
        guard session.isValid(atMilliseconds: dependencies.nowMilliseconds) else {
            throw TLSError.invalidConfiguration("the session has expired (its lifetime was \(session.lifetime) s)")
        }
        guard session.serverName == identity.sessionName else {
            throw TLSError.invalidConfiguration(
                "the session was issued for \"\(session.serverName)\", not \"\(identity.sessionName)\"")
        }
        guard session.ticket.count <= TLSSession.maxOfferedTicketLength else {
            throw TLSError.invalidConfiguration(
                "the session's ticket is \(session.ticket.count) bytes; tickets over \(TLSSession.maxOfferedTicketLength) are not offered")
        }
        guard let params = CipherSuiteParameters(session.cipherSuite),
            configuration.cipherSuites.contains(where: { CipherSuiteParameters($0)?.hash == params.hash })
        else {
            throw TLSError.invalidConfiguration("no offered cipher suite has the hash of the session's \(session.cipherSuite)")
        }
        let verifier = dependencies.certificateVerifier
        guard verifier != nil || configuration.certificateVerificationHandler != nil else { return nil }
        if verifier != nil, !session.certificateVerified {
            throw TLSError.invalidConfiguration(
                "the session comes from a connection that did not verify the server's certificate")
        }
        guard !session.peerCertificates.isEmpty else {
            throw TLSError.invalidConfiguration(
                "the session has no certificate chain to check again (saved by an older version of this library)")
        }
        if configuration.requestOCSPStapling, !session.ocspStaplingRequested {
            throw TLSError.invalidConfiguration(
                "the session was verified without asking for a stapled OCSP response, and this connection asks for one")
        }
        let check = ServerCertificateCheck(
            configuration: configuration, verifier: verifier, identity: identity, now: dependencies.now,
            isSessionReverification: true, certificates: dependencies.certificateCache)
        return try check.evaluate(
            chain: session.peerCertificates, ocspResponse: configuration.requestOCSPStapling ? session.ocspResponse : nil)
    }
}
