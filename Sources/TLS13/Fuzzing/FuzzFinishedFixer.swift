#if TLS13_FUZZING
/// Fuzzing builds only: recomputes the server Finished of a fuzzed flight before the client sees it.
///
/// A server Finished is an HMAC over the transcript under a key derived from the (EC)DHE secret: no mutation
/// of the flight can keep it valid by chance, so without help a fuzzer never gets past it to the
/// post-handshake code (tickets, KeyUpdate, post-handshake authentication, application data). The fixer mirrors
/// what the client computes — the transcript (ClientHello, or message_hash ‖ HelloRetryRequest ‖ second
/// ClientHello, then the server's messages), the shared secret with the fixed client key shares, the PSK of
/// the offered session if the ServerHello selects it — and overwrites the verify_data of the first Finished
/// that follows a ServerHello with the value the client expects.
///
/// It reads records as the fuzz build writes them: plaintext before the ServerHello, then `application_data`
/// records whose body is TLSInnerPlaintext ‖ tag (``FuzzNullAEAD``). It never throws: whatever it cannot
/// follow it leaves alone, and the client then rejects the Finished as usual.
struct FuzzFinishedFixer {
    private let clientHello1: [UInt8]
    private var clientHello2: [UInt8]?
    private let psk: [UInt8]?
    /// The server's handshake messages so far, header included, in order.
    private var messages: [[UInt8]] = []
    private var helloRetryIndex: Int?
    private var serverHelloIndex: Int?
    private var tagLength: Int?
    /// Bytes of a handshake message that continues in the next record.
    private var pending: [UInt8] = []
    private var awaitingSecondClientHello = false
    private var done = false

    /// - Parameters:
    ///   - firstFlight: what ``ClientStateMachine/startHandshake()`` returned (its first record is the ClientHello).
    ///   - psk: the PSK of the session the client offers, if any.
    init(firstFlight: [UInt8], psk: [UInt8]?) {
        let (records, _) = fuzzSplitRecords(firstFlight)
        clientHello1 = records.first.map { Array(firstFlight[($0.lowerBound + RecordLayer.headerLength)..<$0.upperBound]) } ?? []
        self.psk = psk
    }

    /// Fixes the Finished in `stream[record]`, if it holds the one to fix.
    mutating func fix(_ stream: inout [UInt8], record: Range<Int>) {
        guard !done, record.count > RecordLayer.headerLength else { return }
        let type = ContentType(rawValue: stream[record.lowerBound])
        let body = (record.lowerBound + RecordLayer.headerLength)..<record.upperBound
        var content: Range<Int>
        if let tagLength {
            guard type == .applicationData, body.count > tagLength else { return }
            var end = body.upperBound - tagLength
            while end > body.lowerBound, stream[end - 1] == 0 { end -= 1 }
            guard end > body.lowerBound, ContentType(rawValue: stream[end - 1]) == .handshake else { return }
            content = body.lowerBound..<(end - 1)
        } else {
            guard type == .handshake else { return }
            content = body
        }
        let combined = pending + stream[content]
        var position = 0
        while combined.count - position >= HandshakeMessage.headerLength {
            let length = Int(combined[position + 1]) << 16 | Int(combined[position + 2]) << 8 | Int(combined[position + 3])
            let end = position + HandshakeMessage.headerLength + length
            guard end <= combined.count else { break }
            var message = Array(combined[position..<end])
            switch HandshakeType(rawValue: message[0]) {
            case .serverHello where serverHelloIndex == nil:
                if message.count >= 38, Array(message[6..<38]) == ServerHello.helloRetryRequestRandom {
                    if helloRetryIndex == nil {
                        helloRetryIndex = messages.count
                        awaitingSecondClientHello = true
                    }
                } else {
                    serverHelloIndex = messages.count
                    tagLength = Self.suite(of: message)?.aead.tagLength
                    if tagLength == nil { done = true }
                }
            case .finished where serverHelloIndex != nil:
                done = true
                if position >= pending.count, let expected = expectedVerifyData(), expected.count == length {
                    let start = content.lowerBound + (position - pending.count) + HandshakeMessage.headerLength
                    stream.replaceSubrange(start..<(start + length), with: expected)
                    message.replaceSubrange(HandshakeMessage.headerLength..., with: expected)
                }
            default:
                break
            }
            messages.append(message)
            position = end
            if done { return }
        }
        pending = Array(combined[position...])
    }

    /// Picks the second ClientHello out of what the client wrote after a HelloRetryRequest.
    mutating func observe(clientOutput: [UInt8]) {
        guard awaitingSecondClientHello else { return }
        let (records, _) = fuzzSplitRecords(clientOutput)
        for range in records where ContentType(rawValue: clientOutput[range.lowerBound]) == .handshake {
            clientHello2 = Array(clientOutput[(range.lowerBound + RecordLayer.headerLength)..<range.upperBound])
            awaitingSecondClientHello = false
            return
        }
    }

    private static func suite(of serverHello: [UInt8]) -> CipherSuiteParameters? {
        guard case .serverHello(let hello)? = try? HandshakeMessage.decode(serverHello) else { return nil }
        return CipherSuiteParameters(hello.cipherSuite)
    }

    /// The verify_data the client expects for a Finished following ``messages``.
    private func expectedVerifyData() -> [UInt8]? {
        guard let serverHelloIndex, case .serverHello(let hello)? = try? HandshakeMessage.decode(messages[serverHelloIndex]),
            let params = CipherSuiteParameters(hello.cipherSuite), let share = hello.keyShare
        else { return nil }
        do {
            let transcript = try TranscriptHash(params.hash)
            if let helloRetryIndex {
                guard let clientHello2 else { return nil }
                transcript.update(HandshakeMessage.messageHash(try params.hash.hash(clientHello1)))
                transcript.update(messages[helloRetryIndex])
                transcript.update(clientHello2)
            } else {
                transcript.update(clientHello1)
            }
            transcript.update(messages[serverHelloIndex])
            let serverHelloHash = try transcript.current()
            for message in messages[(serverHelloIndex + 1)...] { transcript.update(message) }
            let shared = try FuzzFixtures.keyShare(share.group).sharedSecret(peerPublicKey: share.keyExchange)
            let schedule = try KeySchedule(hash: params.hash)
            let handshakeSecret = try schedule.earlySecret(psk: hello.selectedPSKIdentity == nil ? nil : psk.map { SecretBytes($0) })
                .handshakeSecret(sharedSecret: shared)
            let secret = try handshakeSecret.serverTrafficSecret(transcriptHash: serverHelloHash)
            return try schedule.verifyData(secret: secret, transcriptHash: try transcript.current())
        } catch {
            return nil
        }
    }
}
#endif
