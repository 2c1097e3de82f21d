#if TLS13_FUZZING
/// Fuzzing builds only: the client state machine fuzz target (`Fuzz/Targets/client`).
///
/// Input: three option bytes (see ``FuzzClientOptions``), then the bytes "the server sends". A
/// ``ClientStateMachine`` with fixed randomness and key shares, accept-all certificate and signature verifiers
/// and the null AEAD (fuzz builds) calls ``ClientStateMachine/startHandshake()``; then the server bytes go to
/// ``ClientStateMachine/receive(_:)`` in chunks, each followed by ``ClientStateMachine/takePendingOutput()``
/// and, once connected, the application calls the options ask for. After an error, the alert record
/// (``ClientStateMachine/alertRecord(for:)``) is built and further input must be refused with `closed`.
///
/// With ``FuzzClientOptions/fixFinished`` the input is fed record by record and the server Finished's
/// verify_data is recomputed from the flight before it is fed (see ``FuzzFinishedFixer``), so mutated flights
/// still complete the handshake and reach the post-handshake code.
///
/// Checked on every run: every byte the client writes is well-framed records; a peer never causes
/// `internal_error`; a failed machine refuses input.
public func _fuzzClient(_ data: UnsafeRawBufferPointer) {
    var input = FuzzInput(data)
    let options = FuzzClientOptions(config: input.byte(), chunk: input.byte(), actions: input.byte())
    _ = FuzzClient.run(options, stream: input.rest())
}

/// Runs a client-target input and returns it with the server Finished fixed (when
/// ``FuzzClientOptions/fixFinished`` is set) and the state the client reached: for building seeds that
/// complete the handshake in either mode.
public func _fuzzClientFixInput(_ input: [UInt8]) -> (input: [UInt8], state: String) {
    var reader = FuzzInput(input)
    let options = FuzzClientOptions(config: reader.byte(), chunk: reader.byte(), actions: reader.byte())
    let result = FuzzClient.run(options, stream: reader.rest())
    let outcome = result.error.map { "\(result.state) (\($0))" } ?? result.state.description
    return (options.bytes + result.stream, outcome)
}

/// The three option bytes of a client-target input.
struct FuzzClientOptions {
    /// Byte 0: bit 0 fix the Finished; bit 1 offer ALPN `h2`, `http/1.1`; bit 2 configure a client
    /// certificate (offers post_handshake_auth); bit 3 offer a session for resumption; bit 4 with early data;
    /// bit 5 key shares for x25519 and P-256 (else x25519 only); bits 6–7 the cipher suites offered.
    var config: UInt8
    /// Byte 1: feed the server bytes `chunk` at a time (0: all at once). Ignored with ``fixFinished``.
    var chunk: UInt8
    /// Byte 2: bit 0 a DNS name (SNI) instead of no name; bit 1 seal application data after each read once
    /// connected; bit 2 update keys once connected (bit 3: requesting the peer's update); bit 4 export
    /// keying material; bit 5 close_notify at the end; bit 6 a 1024-byte handshake message limit; bit 7 a
    /// key update every 2 records sent.
    var actions: UInt8

    var bytes: [UInt8] { [config, chunk, actions] }
    var fixFinished: Bool { config & 0x01 != 0 }
    var earlyData: [UInt8]? { config & 0x18 == 0x18 ? Array("GET / HTTP/1.1\r\n\r\n".utf8) : nil }
    var session: TLSSession? {
        config & 0x08 != 0 ? FuzzFixtures.session(
            earlyData: config & 0x10 != 0, alpn: config & 0x02 != 0 ? "h2" : nil,
            serverName: actions & 0x01 != 0 ? "example.com" : "") : nil
    }
    var identity: ClientStateMachine.ServerIdentity { actions & 0x01 != 0 ? .dnsName("example.com") : .none }

    var configuration: TLSClientConfiguration {
        var c = TLSClientConfiguration()
        // Pinned to the ClientHello the committed seeds were recorded with (a ClientHello change alters the
        // transcript and so every later record); GREASE, OCSP and record_size_limit are tested elsewhere.
        c.grease = false
        c.requestOCSPStapling = false
        c.recordSizeLimit = nil
        c.supportedGroups = [.x25519, .secp256r1, .secp384r1]
        if config & 0x02 != 0 { c.applicationProtocols = ["h2", "http/1.1"] }
        if config & 0x04 != 0 { c.clientCertificate = FuzzFixtures.clientCertificate }
        c.keyShareGroups = config & 0x20 != 0 ? [.x25519, .secp256r1] : [.x25519]
        switch config >> 6 {
        case 1: c.cipherSuites = [.aes128GCMSHA256, .aes128CCMSHA256, .aes128CCM8SHA256]
        case 2: c.cipherSuites = [.aes256GCMSHA384]
        case 3: c.cipherSuites = [.chacha20Poly1305SHA256, .aes256GCMSHA384]
        default: break
        }
        if actions & 0x40 != 0 { c.maxHandshakeMessageSize = 1024 }
        if actions & 0x80 != 0 { c.keyUpdateRecordLimit = 2 }
        return c
    }
}

/// The driver of ``_fuzzClient(_:)``.
final class FuzzClient {
    let client: ClientStateMachine
    let options: FuzzClientOptions
    private var updatedKeys = false
    private var exported = false
    private(set) var failed = false
    /// The error that ended the connection, if one did.
    private(set) var error: TLSError?
    /// What the client wrote after the last feed.
    private(set) var lastOutput: [UInt8] = []

    init(client: ClientStateMachine, options: FuzzClientOptions) {
        self.client = client
        self.options = options
    }

    struct Result {
        var stream: [UInt8]
        var state: ClientPhase
        var error: TLSError?
    }

    static func run(_ options: FuzzClientOptions, stream: [UInt8]) -> Result {
        var result = Result(stream: stream, state: .start)
        guard
            let client = try? ClientStateMachine(
                configuration: options.configuration, identity: options.identity, dependencies: FuzzFixtures.dependencies,
                session: options.session, earlyData: options.earlyData)
        else { return result }
        let first: [UInt8]
        do {
            first = try client.startHandshake()
        } catch {
            fuzzCheck(false, "startHandshake failed: \(error)")
            return result
        }
        fuzzCheckOutboundRecords(first, what: "first flight")
        let driver = FuzzClient(client: client, options: options)
        if options.fixFinished {
            var fixer = FuzzFinishedFixer(firstFlight: first, psk: options.session.map { _ in FuzzFixtures.sessionPSK })
            var fixed = stream
            let (records, consumed) = fuzzSplitRecords(fixed)
            for range in records where !driver.failed {
                fixer.fix(&fixed, record: range)
                driver.feed(fixed[range])
                fixer.observe(clientOutput: driver.lastOutput)
            }
            if consumed < fixed.count, !driver.failed { driver.feed(fixed[consumed...]) }
            result.stream = fixed
        } else {
            let step = options.chunk == 0 ? max(1, stream.count) : Int(options.chunk)
            var offset = 0
            while offset < stream.count, !driver.failed {
                let end = min(offset + step, stream.count)
                driver.feed(stream[offset..<end])
                offset = end
            }
        }
        driver.finish()
        result.state = client.phase
        result.error = driver.error
        return result
    }

    /// One call of `receive` and what the application does after it.
    func feed(_ bytes: ArraySlice<UInt8>) {
        lastOutput = []
        do {
            let events = try client.receive(bytes)
            for event in events {
                switch event {
                case .applicationData(let data):
                    fuzzCheck(data.count <= RecordLayer.maxPlaintext, "application data event of \(data.count) bytes")
                case .handshakeComplete:
                    fuzzCheck(client.phase == .connected, "handshakeComplete in state \(client.phase)")
                default:
                    break
                }
            }
            var out = try client.takePendingOutput()
            if client.phase == .connected, !client.closeNotifySent {
                if options.actions & 0x02 != 0 {
                    out += try client.sealApplicationData(Array(repeating: 0x61, count: 100)[...])
                }
                if options.actions & 0x04 != 0, !updatedKeys {
                    updatedKeys = true
                    out += try client.updateKeys(requestPeerUpdate: options.actions & 0x08 != 0)
                }
                if options.actions & 0x10 != 0, !exported {
                    exported = true
                    let material = try client.exportKeyingMaterial(label: "EXPORTER-fuzz", context: [1, 2, 3], length: 32)
                    fuzzCheck(material.count == 32, "exporter returned \(material.count) bytes")
                }
            }
            lastOutput = out
            fuzzCheckOutboundRecords(out, what: "client output in state \(client.phase)")
        } catch {
            fail(error)
        }
    }

    /// The application ends the connection.
    func finish() {
        guard !failed else { return }
        do {
            if options.actions & 0x20 != 0 {
                fuzzCheckOutboundRecords(try client.closeNotify(), what: "close_notify")
            }
        } catch {
            fail(error)
        }
    }

    private func fail(_ error: TLSError) {
        failed = true
        self.error = error
        if case .internalError(let reason) = error {
            fuzzCheck(false, "peer input caused internal_error: \(reason)")
        }
        if let alert = client.alertRecord(for: error) {
            fuzzCheckOutboundRecords(alert, what: "alert for \(error)")
        }
        fuzzCheck(client.phase == .failed, "state \(client.phase) after alertRecord")
        do {
            _ = try client.receive([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28][...])
            fuzzCheck(false, "a failed client accepted more input")
        } catch {
            fuzzCheck(error == .closed, "a failed client threw \(error), not closed")
        }
    }
}
#endif
