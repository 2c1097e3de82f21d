import Foundation
import TLS13
import TLS13TestSupport
import Testing

/// Trust and keys from memory, public-key pinning, an external signer, the async verification handler and the
/// standalone verifier, through the public API against `openssl s_server`.
@Suite struct TrustAndKeysTests {
    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try CertPaths.load(name)) }
    static func der(_ name: String) throws -> [[UInt8]] {
        try TLSCertificateChainVerifier.certificates(fromPEM: try bytes(name))
    }

    /// Connects to `server` with `config` (the name `localhost`), writes a line and reads the reversed one.
    /// Returns the session info, or the error.
    static func exchange(_ server: OpenSSLServer, _ config: TLSClientConfiguration) async throws -> Result<TLSSessionInfo, TLSError> {
        try await runBlocking {
            do {
                let connection = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
                defer { connection.close() }
                try connection.write(Array("ping\n".utf8))
                var reply: [UInt8] = []
                while reply.last != UInt8(ascii: "\n") {
                    let chunk = try connection.read()
                    if chunk.isEmpty { break }
                    reply += chunk
                }
                guard reply == Array("gnip\n".utf8) else { return .failure(.closed) }
                return .success(connection.sessionInfo)
            } catch let error as TLSError {
                return .failure(error)
            }
        }
    }

    static func config(_ adjust: (inout TLSClientConfiguration) throws -> Void) rethrows -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.serverName = "localhost"
        config.requestOCSPStapling = false
        try adjust(&config)
        return config
    }

    // MARK: - Trust roots from memory

    @Test func trustRootsFromPEMAndDERBytes() async throws {
        let server = try await OpenSSLServer.start()
        defer { server.stop() }
        let pem = try Self.bytes("ca.pem")
        #expect(try await Self.exchange(server, Self.config { $0.trustRoots = .pem(pem) }).get().certificateVerified)
        #expect(try await Self.exchange(server, Self.config { $0.trustRoots = .der(try Self.der("ca.pem")) }).get().certificateVerified)
        // Another root, from memory: the chain leads nowhere.
        let other = try await Self.exchange(server, Self.config { $0.trustRoots = .pem(try Self.bytes("unknown-ca-root.pem")) })
        #expect(other.error?.alert == .unknownCA)
    }

    @Test func systemRootsPlusExtraRoots() async throws {
        let server = try await OpenSSLServer.start()
        defer { server.stop() }
        // The test root is in no system store: the system alone refuses, the system plus the test root accepts.
        let systemOnly = try await Self.exchange(server, Self.config { $0.trustRoots = .system })
        #expect(systemOnly.error?.alert == .unknownCA)
        let combined = try await Self.exchange(
            server, Self.config { $0.trustRoots = .combined([.system, .pem(try Self.bytes("ca.pem"))]) })
        #expect(try combined.get().certificateVerified)
        let nested = try await Self.exchange(
            server, Self.config { $0.trustRoots = .combined([.der(try Self.der("unknown-ca-root.pem")), .combined([.pemFile(CertPaths.path("ca.pem"))])]) })
        #expect(try nested.get().certificateVerified)
    }

    @Test func unusableTrustRootsAreConfigurationErrors() throws {
        let cases: [TLSClientConfiguration.TrustRoots] = [
            .der([]), .combined([]), .pem(Array("not a certificate".utf8)), .der([[0x30, 0x03, 0x02, 0x01, 0x01]]),
            .combined([.system, .pemFile("/nonexistent/ca.pem")]),
        ]
        for roots in cases {
            let error = API.error("\(roots)") {
                _ = try TLSClientEngine(serverName: "localhost", configuration: Self.config { $0.trustRoots = roots })
            }
            #expect(error.map { if case .invalidConfiguration = $0 { true } else { false } } == true, "\(roots)")
        }
    }

    // MARK: - Public-key pinning

    @Test func pinsMatchTheLeafTheIntermediateOrTheAnchor() async throws {
        let server = try await OpenSSLServer.start()
        defer { server.stop() }
        let roots = TLSClientConfiguration.TrustRoots.pemFile(CertPaths.path("ca.pem"))
        for name in ["leaf-ecdsa-p256.pem", "intermediate.pem", "ca.pem"] {
            let pin = try TLSPublicKeyPin(certificate: try Self.der(name)[0])
            let result = try await Self.exchange(server, Self.config {
                $0.trustRoots = roots
                $0.pinnedPublicKeys = [try TLSPublicKeyPin(certificate: try Self.der("leaf-rsa2048.pem")[0]), pin]
            })
            #expect(try result.get().certificateVerified, "pin of \(name)")
        }
        let wrong = try await Self.exchange(server, Self.config {
            $0.trustRoots = roots
            $0.pinnedPublicKeys = [try TLSPublicKeyPin(certificate: try Self.der("leaf-rsa2048.pem")[0])]
        })
        guard case .failure(.certificateRejected(let alert, let reason)) = wrong else {
            Issue.record("a wrong pin must reject, got \(wrong)")
            return
        }
        #expect(alert == .badCertificate)
        #expect(reason.contains("pinned public key"))
    }

    @Test func aPinNeverRescuesABadChain() async throws {
        let server = try await OpenSSLServer.start(leaf: "leaf-expired", chain: "intermediate.pem")
        defer { server.stop() }
        let result = try await Self.exchange(server, Self.config {
            $0.trustRoots = .pemFile(CertPaths.path("ca.pem"))
            $0.pinnedPublicKeys = [try TLSPublicKeyPin(certificate: try Self.der("leaf-expired.pem")[0])]
        })
        #expect(result.error?.alert == .certificateExpired)
        // And pinning cannot stand in for verification at all.
        let error = API.error("pins without verification") {
            _ = try TLSClientEngine(serverName: "localhost", configuration: Self.config {
                $0.verifyCertificates = false
                $0.pinnedPublicKeys = [try TLSPublicKeyPin(sha256: [UInt8](repeating: 1, count: 32))]
            })
        }
        #expect(error.map { if case .invalidConfiguration = $0 { true } else { false } } == true)
    }

    @Test func pinTextAgreesWithOpenSSL() async throws {
        // The RFC 7469 recipe, run by openssl: public key → DER → SHA-256 → base64.
        let expected = try await runBlocking { () -> String in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "\(OpenSSLServer.opensslPath) x509 -in '\(CertPaths.path("leaf-ecdsa-p256.pem"))' -pubkey -noout"
                + " | \(OpenSSLServer.opensslPath) pkey -pubin -outform der | \(OpenSSLServer.opensslPath) dgst -sha256 -binary | base64"]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let pin = try TLSPublicKeyPin(certificate: try Self.der("leaf-ecdsa-p256.pem")[0])
        #expect(pin.base64 == expected)
        #expect(try TLSPublicKeyPin(base64: expected) == pin)
        #expect(try TLSPublicKeyPin(base64: "sha256/" + expected) == pin)
        #expect(pin.description == "pin-sha256=\"\(expected)\"")
        for bad in ["", "abc", String(expected.dropLast(4)), expected + "AAAA", "!!!!"] {
            #expect(throws: TLSError.self, "\(bad)") { _ = try TLSPublicKeyPin(base64: bad) }
        }
        #expect(throws: TLSError.self) { _ = try TLSPublicKeyPin(sha256: [1, 2, 3]) }
        #expect(throws: TLSError.self) { _ = try TLSPublicKeyPin(certificate: [0x30, 0x00]) }
    }

    // MARK: - Client certificates from memory, and an external signer

    static func clientAuthServer() async throws -> OpenSSLServer {
        try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-Verify", "2", "-CAfile", CertPaths.path("ca.pem")])
    }

    @Test func clientCertificateFromPEMAndDERBytes() async throws {
        let pemCredential = try TLSClientCertificate(
            certificateChainPEM: try Self.bytes("client-ecdsa-p256-chain.pem"), privateKeyPEM: try Self.bytes("client-ecdsa-p256.key"))
        let keyDER = try await runBlocking { () -> [UInt8] in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: OpenSSLServer.opensslPath)
            process.arguments = ["pkey", "-in", CertPaths.path("client-rsa2048.key"), "-outform", "der"]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return [UInt8](data)
        }
        let derCredential = try TLSClientCertificate(
            certificateChain: try Self.der("client-rsa2048-chain.pem"), privateKeyDER: keyDER)
        for (credential, type) in [(pemCredential, "ecdsa-p256"), (derCredential, "rsa2048")] {
            let server = try await Self.clientAuthServer()
            defer { server.stop() }
            let info = try await Self.exchange(server, Self.config {
                $0.trustRoots = .pemFile(CertPaths.path("ca.pem"))
                $0.clientCertificate = credential
            }).get()
            #expect(info.clientCertificateSent)
            let seen = try await runBlocking {
                server.waitForOutput("test client (\(type))") && server.waitForOutput("Verification: OK")
            }
            #expect(seen, "\(server.output)")
        }
        // A key that is not the certificate's, and keys that do not parse.
        #expect(throws: TLSError.self) {
            _ = try TLSClientCertificate(
                certificateChainPEM: try Self.bytes("client-ecdsa-p256-chain.pem"), privateKeyPEM: try Self.bytes("client-rsa2048.key"))
        }
        #expect(throws: TLSError.self) {
            _ = try TLSClientCertificate(certificateChain: try Self.der("client-rsa2048-chain.pem"), privateKeyDER: [0x30, 0x01])
        }
        #expect(throws: TLSError.self) { _ = try TLSClientCertificate(certificateChain: [], privateKeyDER: keyDER) }
    }

    @Test func anExternalSignerHoldsTheKey() async throws {
        let server = try await Self.clientAuthServer()
        defer { server.stop() }
        let signer = OpenSSLProcessSigner(keyPath: CertPaths.path("client-ecdsa-p256.key"))
        let credential = try TLSClientCertificate(certificateChain: try Self.der("client-ecdsa-p256-chain.pem"), signer: signer)
        let info = try await Self.exchange(server, Self.config {
            $0.trustRoots = .pemFile(CertPaths.path("ca.pem"))
            $0.clientCertificate = credential
        }).get()
        #expect(info.clientCertificateSent)
        #expect(signer.calls == 1)
        let verified = try await runBlocking { server.waitForOutput("Verification: OK") }
        #expect(verified)
        // A signer whose schemes do not fit the certificate's key is refused up front.
        #expect(throws: TLSError.self) {
            _ = try TLSClientCertificate(
                certificateChain: try Self.der("client-ecdsa-p256-chain.pem"), signer: FailingSigner(schemes: [.ed25519]))
        }
    }

    @Test func aFailingSignerFailsTheHandshakeWithItsError() async throws {
        let server = try await Self.clientAuthServer()
        defer { server.stop() }
        let result = try await Self.exchange(server, Self.config {
            $0.trustRoots = .pemFile(CertPaths.path("ca.pem"))
            $0.clientCertificate = try TLSClientCertificate(
                certificateChain: try Self.der("client-ecdsa-p256-chain.pem"), signer: FailingSigner(schemes: [.ecdsaSecp256r1SHA256]))
        })
        #expect(result.error == .internalError("HSM offline"))
    }

    // MARK: - The async verification handler

    @Test func anAsyncHandlerDecidesAfterAnAwait() async throws {
        let server = try await OpenSSLServer.start(leaf: "leaf-self-signed", chain: nil)
        defer { server.stop() }
        let seen = LockedBox<[String]>([])
        let accepting = try await Self.exchange(server, Self.config {
            $0.trustRoots = .pemFile(CertPaths.path("ca.pem"))
            $0.asyncCertificateVerificationHandler = { context in
                try? await Task.sleep(for: .milliseconds(50))  // a lookup elsewhere
                seen.update { $0.append("\(context.defaultResult)") }
                return .accept
            }
        })
        #expect(try accepting.get().certificateVerified)
        #expect(seen.value.count == 1 && seen.value[0].contains("failed"))
        let rejecting = try await Self.exchange(server, Self.config {
            $0.trustRoots = .pemFile(CertPaths.path("ca.pem"))
            $0.asyncCertificateVerificationHandler = { _ in .reject(alert: .accessDenied, reason: "not on the list") }
        })
        #expect(rejecting.error?.alert == .accessDenied)
    }

    @Test func anAsyncHandlerThatNeverAnswersTimesOut() async throws {
        let server = try await OpenSSLServer.start()
        defer { server.stop() }
        let config = Self.config {
            $0.trustRoots = .pemFile(CertPaths.path("ca.pem"))
            $0.handshakeTimeout = 0.5
            $0.asyncCertificateVerificationHandler = { _ in
                try? await Task.sleep(for: .seconds(30))
                return .accept
            }
        }
        // Timed on the connecting thread itself, so a busy test process cannot stretch it.
        let (error, elapsed) = try await runBlocking { () -> (TLSError?, Duration) in
            let started = ContinuousClock.now
            do {
                _ = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
                return (nil, ContinuousClock.now - started)
            } catch let error as TLSError {
                return (error, ContinuousClock.now - started)
            }
        }
        #expect(error?.alert == .certificateUnknown)
        #expect(elapsed < .seconds(10), "the handshake waited \(elapsed) for a handler that sleeps 30 s")
        #expect(API.error("both handlers") {
            _ = try TLSClientEngine(serverName: "localhost", configuration: Self.config {
                $0.certificateVerificationHandler = { _ in .accept }
                $0.asyncCertificateVerificationHandler = { _ in .accept }
            })
        } != nil)
    }

    // MARK: - The verifier on its own

    @Test func theStandaloneVerifierGivesTheHandshakesVerdict() throws {
        let chain = try Self.der("leaf-ecdsa-p256-chain.pem")
        let verifier = try TLSCertificateChainVerifier(configuration: Self.config {
            $0.trustRoots = .pem(try Self.bytes("ca.pem"))
        })
        let now = Int64(Date().timeIntervalSince1970)
        #expect(verifier.verdict(chain: chain, serverName: "localhost", atSecondsSince1970: now) == .accept)
        guard case .reject(let alert, let reason) = verifier.verdict(chain: chain, serverName: "other.example", atSecondsSince1970: now) else {
            Issue.record("a wrong name must be rejected")
            return
        }
        #expect(alert == .badCertificate)
        #expect(reason.contains("other.example"))
        // Far in the future the chain has expired.
        guard case .reject(.certificateExpired, _) = verifier.verdict(chain: chain, serverName: "localhost", atSecondsSince1970: 4_200_000_000) else {
            Issue.record("an expired chain must be rejected with certificate_expired")
            return
        }
        // With a pin that matches nothing on the path.
        let pinned = try TLSCertificateChainVerifier(configuration: Self.config {
            $0.trustRoots = .pem(try Self.bytes("ca.pem"))
            $0.pinnedPublicKeys = [try TLSPublicKeyPin(certificate: try Self.der("leaf-rsa2048.pem")[0])]
        })
        guard case .reject(.badCertificate, let pinReason) = pinned.verdict(chain: chain, serverName: "localhost", atSecondsSince1970: now) else {
            Issue.record("a pin mismatch must be rejected")
            return
        }
        #expect(pinReason.contains("pinned"))
        #expect(pinned.verdict(chain: [], serverName: "localhost", atSecondsSince1970: now) != .accept)
    }
}

extension Result where Failure == TLSError {
    /// The error, or `nil` on success.
    var error: TLSError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// A value behind a lock, for closures that run on other threads.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}

/// A signer whose key never enters this process: each signature is made by an `openssl dgst -sign` child process
/// (as a remote signer or an HSM would make it), ECDSA P-256 with SHA-256, DER.
final class OpenSSLProcessSigner: TLSSigner, @unchecked Sendable {
    // @unchecked Sendable: `count` is guarded by `lock`.
    let keyPath: String
    private let lock = NSLock()
    private var count = 0
    let signatureSchemes: [SignatureScheme] = [.ecdsaSecp256r1SHA256]

    init(keyPath: String) { self.keyPath = keyPath }

    var calls: Int { lock.withLock { count } }

    func sign(scheme: SignatureScheme, content: [UInt8]) throws(TLSError) -> [UInt8] {
        guard scheme == .ecdsaSecp256r1SHA256 else { throw TLSError.internalError("unexpected scheme \(scheme)") }
        lock.withLock { count += 1 }
        do {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: OpenSSLServer.opensslPath)
            process.arguments = ["dgst", "-sha256", "-sign", keyPath]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            input.fileHandleForWriting.write(Data(content))
            try input.fileHandleForWriting.close()
            let signature = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0, !signature.isEmpty else {
                throw TLSError.internalError("openssl dgst -sign failed")
            }
            return [UInt8](signature)
        } catch let error as TLSError {
            throw error
        } catch {
            throw TLSError.internalError("signer: \(error)")
        }
    }
}

/// A signer that is never available.
struct FailingSigner: TLSSigner {
    let schemes: [SignatureScheme]
    var signatureSchemes: [SignatureScheme] { schemes }
    func sign(scheme: SignatureScheme, content: [UInt8]) throws(TLSError) -> [UInt8] {
        throw TLSError.internalError("HSM offline")
    }
}
