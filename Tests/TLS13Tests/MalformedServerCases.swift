import Foundation
import Testing
@testable import TLS13

/// The named cases of the malformed-server suite (project issue P4 §1), one mutation each. `Docs/Security.md`
/// lists them all (``MalformedServerTests/securityDocListsEveryCase()`` keeps it honest).
extension MalformedServerCase {
    typealias Item = ScriptedServer.Item

    static let all: [MalformedServerCase] =
        serverHello + helloRetryRequest + encryptedExtensions + certificate + certificateVerify + finished
        + recordLayer + framing + keyShare + postHandshake + transportCases

    // MARK: - ServerHello (the client has no keys yet: plaintext alerts)

    static let serverHello: [MalformedServerCase] = [
        Case("server-hello.legacy-version-0x0304", .serverHello, "§4.1.3", .alert(.illegalParameter, .plaintext)) {
            $0.mutateServerHello = { $0.legacyVersion = .tls13 }
        },
        Case("server-hello.legacy-version-0x0301", .serverHello, "§4.1.3", .alert(.illegalParameter, .plaintext)) {
            $0.mutateServerHello = { $0.legacyVersion = ProtocolVersion(rawValue: 0x0301) }
        },
        Case("server-hello.random-downgrade-sentinel-in-tls13", .serverHello, "§4.1.3", .accept) {
            // The sentinel matters only when TLS 1.2 or below is negotiated.
            $0.mutateServerHello = { $0.random = Array($0.random.prefix(24)) + ServerHello.downgradeSentinelTLS12 }
        },
        Case("server-hello.tls12-with-downgrade-sentinel", .serverHello, "§4.1.3", .alert(.illegalParameter, .plaintext)) {
            $0.mutateServerHello = {
                $0.extensions = [.unknown(.renegotiationInfo, [0]), .unknown(.extendedMasterSecret, [])]
                $0.cipherSuite = CipherSuite(rawValue: 0xc02f)
                $0.random = Array($0.random.prefix(24)) + ServerHello.downgradeSentinelTLS12
            }
        },
        Case("server-hello.session-id-echo-mismatch", .serverHello, "§4.1.3", .alert(.illegalParameter, .plaintext)) {
            $0.mutateServerHello = { $0.legacySessionIDEcho[0] ^= 1 }
        },
        Case("server-hello.session-id-echo-empty", .serverHello, "§4.1.3", .alert(.illegalParameter, .plaintext)) {
            $0.mutateServerHello = { $0.legacySessionIDEcho = [] }
        },
        Case("server-hello.suite-not-offered", .serverHello, "§4.1.3", .alert(.illegalParameter, .plaintext),
             client: { $0.cipherSuites = [.aes128GCMSHA256] }) {
            $0.mutateServerHello = { $0.cipherSuite = .chacha20Poly1305SHA256 }
        },
        Case("server-hello.suite-tls12", .serverHello, "§4.1.3", .alert(.illegalParameter, .plaintext)) {
            $0.mutateServerHello = { $0.cipherSuite = CipherSuite(rawValue: 0xc02f) }
        },
        Case("server-hello.compression-method-1", .serverHello, "§4.1.3", .alert(.illegalParameter, .plaintext)) {
            $0.mutateMessageBytes = { message, bytes in
                guard message == .serverHello else { return }
                bytes[4 + 2 + 32 + 1 + Int(bytes[4 + 2 + 32]) + 2] = 1
            }
        },
        Case("server-hello.no-supported-versions", .serverHello, "§4.2.1", .alert(.protocolVersion, .plaintext)) {
            $0.mutateServerHello = { $0.extensions.removeAll { $0.extensionType == .supportedVersions } }
        },
        Case("server-hello.supported-versions-selects-tls12", .serverHello, "§4.2.1",
             .alert(.illegalParameter, .plaintext)) {
            $0.mutateServerHello = { hello in
                hello.extensions = hello.extensions.map {
                    $0.extensionType == .supportedVersions ? .supportedVersions(.tls12) : $0
                }
            }
        },
        Case("server-hello.unknown-extension", .serverHello, "§4.2", .alert(.unsupportedExtension, .plaintext)) {
            $0.mutateServerHello = { $0.extensions.append(.unknown(ExtensionType(rawValue: 0x1234), [1, 2])) }
        },
        Case("server-hello.extension-not-allowed-there", .serverHello, "§4.2", .alert(.illegalParameter, .plaintext)) {
            // signature_algorithms was offered, but belongs in CertificateRequest only.
            $0.mutateServerHello = { $0.extensions.append(.unknown(.signatureAlgorithms, [])) }
        },
        Case("server-hello.duplicate-supported-versions", .serverHello, "§4.2",
             .alert([.decodeError, .illegalParameter], .plaintext)) {
            // §4.2 forbids two extensions of one type in a block but names no alert.
            $0.mutateServerHello = { $0.extensions.append(.supportedVersions(.tls13)) }
        },
        Case("server-hello.pre-shared-key-not-offered", .serverHello, "§4.2",
             .alert(.unsupportedExtension, .plaintext)) {
            $0.mutateServerHello = { $0.extensions.append(.preSharedKey(0)) }
        },
        Case("server-hello.missing-key-share", .serverHello, "§4.2.8, §9.2", .alert(.missingExtension, .plaintext)) {
            $0.mutateServerHello = { $0.extensions.removeAll { $0.extensionType == .keyShare } }
        },
    ]

    // MARK: - HelloRetryRequest misuse

    static let helloRetryRequest: [MalformedServerCase] = [
        Case("hello-retry-request.valid-for-p256", .helloRetryRequest, "§4.1.4", .accept,
             check: { #expect($0.client.info?.usedHelloRetryRequest == true && $0.client.info?.group == .secp256r1) },
             mutate: preferP256),
        Case("hello-retry-request.cookie-and-compatibility-ccs", .helloRetryRequest, "§4.1.4, §4.2.2, §D.4", .accept,
             check: { #expect($0.server.clientHellos.last?.extension(.cookie) == .cookie([0xC0, 0x0C, 0x1E])) }) {
            $0.configuration.cookie = [0xC0, 0x0C, 0x1E]
            $0.configuration.compatibilityChangeCipherSpec = true
        },
        Case("hello-retry-request.second-hrr", .helloRetryRequest, "§4.1.4", .alert(.unexpectedMessage, .plaintext)) {
            preferP256($0)
            $0.configuration.helloRetryRequests = 2
        },
        Case("hello-retry-request.no-change", .helloRetryRequest, "§4.1.4", .alert(.illegalParameter, .plaintext)) {
            // Asks for x25519, which the first ClientHello already shared: the retry would change nothing.
            $0.configuration.helloRetryRequests = 1
        },
        Case("hello-retry-request.neither-key-share-nor-cookie", .helloRetryRequest, "§4.1.4",
             .alert(.illegalParameter, .plaintext)) {
            preferP256($0)
            $0.mutateHelloRetryRequest = { $0.extensions.removeAll { $0.extensionType == .keyShare } }
        },
        Case("hello-retry-request.group-not-offered", .helloRetryRequest, "§4.1.4",
             .alert(.illegalParameter, .plaintext)) {
            preferP256($0)
            $0.mutateHelloRetryRequest = { hrr in
                // ffdhe2048 is implemented but off by default: a group the client did not offer.
                hrr.extensions = hrr.extensions.map { $0.extensionType == .keyShare ? .keyShare(.ffdhe2048) : $0 }
            }
        },
        Case("hello-retry-request.server-hello-changes-suite", .helloRetryRequest, "§4.1.4",
             .alert(.illegalParameter, .plaintext)) {
            preferP256($0)
            $0.mutateServerHello = { $0.cipherSuite = .aes256GCMSHA384 }
        },
        Case("hello-retry-request.unknown-extension", .helloRetryRequest, "§4.1.4, §4.2",
             .alert(.unsupportedExtension, .plaintext)) {
            preferP256($0)
            $0.mutateHelloRetryRequest = { $0.extensions.append(.unknown(ExtensionType(rawValue: 0x1234), [])) }
        },
        Case("hello-retry-request.suite-not-offered", .helloRetryRequest, "§4.1.4",
             .alert(.illegalParameter, .plaintext), client: { $0.cipherSuites = [.aes128GCMSHA256] }) {
            preferP256($0)
            $0.mutateHelloRetryRequest = { $0.cipherSuite = .aes256GCMSHA384 }
        },
        Case("hello-retry-request.session-id-echo-mismatch", .helloRetryRequest, "§4.1.4",
             .alert(.illegalParameter, .plaintext)) {
            preferP256($0)
            $0.mutateHelloRetryRequest = { $0.legacySessionIDEcho = [] }
        },
    ]

    // MARK: - EncryptedExtensions (the client has handshake keys: encrypted alerts)

    static let encryptedExtensions: [MalformedServerCase] = [
        Case("encrypted-extensions.server-name-ack-and-alpn", .encryptedExtensions, "§4.3.1, RFC 6066 §3, RFC 7301",
             .accept, client: { $0.applicationProtocols = ["h2", "http/1.1"] },
             check: { #expect($0.client.info?.applicationProtocol == "http/1.1") }) {
            $0.configuration.applicationProtocols = ["http/1.1"]
            $0.mutateEncryptedExtensions = { $0.extensions.append(.serverName) }
        },
        Case("encrypted-extensions.unsolicited-alpn", .encryptedExtensions, "§4.2",
             .alert(.unsupportedExtension, .encrypted)) {
            $0.mutateEncryptedExtensions = { $0.extensions.append(.applicationLayerProtocolNegotiation(Array("h2".utf8))) }
        },
        Case("encrypted-extensions.unknown-extension", .encryptedExtensions, "§4.2",
             .alert(.unsupportedExtension, .encrypted)) {
            $0.mutateEncryptedExtensions = { $0.extensions.append(.unknown(ExtensionType(rawValue: 0x1234), [])) }
        },
        Case("encrypted-extensions.forbidden-key-share", .encryptedExtensions, "§4.2, §4.3.1",
             .alert(.illegalParameter, .encrypted)) {
            $0.mutateEncryptedExtensions = { $0.extensions.append(.unknown(.keyShare, [0, 0x1d])) }
        },
        Case("encrypted-extensions.forbidden-supported-versions", .encryptedExtensions, "§4.2, §4.3.1",
             .alert(.illegalParameter, .encrypted)) {
            $0.mutateEncryptedExtensions = { $0.extensions.append(.unknown(.supportedVersions, [3, 4])) }
        },
        Case("encrypted-extensions.duplicate-extension", .encryptedExtensions, "§4.2",
             .alert([.decodeError, .illegalParameter], .encrypted)) {
            $0.mutateEncryptedExtensions = { $0.extensions += [.serverName, .serverName] }
        },
        Case("encrypted-extensions.missing", .encryptedExtensions, "§4.3.1, §A.1",
             .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = { $0.remove(.encryptedExtensions) }
        },
        Case("encrypted-extensions.alpn-not-offered-by-name", .encryptedExtensions, "§4.2, RFC 7301 §3.2",
             .alert(.illegalParameter, .encrypted), client: { $0.applicationProtocols = ["h2"] }) {
            $0.mutateEncryptedExtensions = {
                $0.extensions.append(.applicationLayerProtocolNegotiation(Array("spdy/3".utf8)))
            }
        },
    ]

    // MARK: - Certificate

    static let certificate: [MalformedServerCase] = [
        Case("certificate.empty", .certificate, "§4.4.2.4", .alert(.decodeError, .encrypted)) {
            $0.mutateCertificate = { $0.entries = [] }
        },
        Case("certificate.garbage-der-leaf", .certificate, "§4.4.2.4, §6.2", .alert(.badCertificate, .encrypted)) {
            $0.mutateCertificate = { $0.entries[0].certData = [0x30, 0x03, 0x02, 0x01, 0x01, 0xFF] }
        },
        Case("certificate.garbage-der-intermediate", .certificate, "§4.4.2.4, §6.2",
             .alert(.badCertificate, .encrypted)) {
            $0.mutateCertificate = { $0.entries[1].certData = [UInt8](repeating: 0xA5, count: 300) }
        },
        Case("certificate.truncated-leaf", .certificate, "§4.4.2.4, §6.2", .alert(.badCertificate, .encrypted)) {
            $0.mutateCertificate = { $0.entries[0].certData.removeLast(10) }
        },
        Case("certificate.bad-chain-missing-intermediate", .certificate, "§4.4.2.4, §6.2",
             .alert(.unknownCA, .encrypted)) {
            $0.mutateCertificate = { $0.entries.removeLast() }
        },
        Case("certificate.bad-chain-reversed", .certificate, "§4.4.2, §6.2",
             .alert([.badCertificate, .unsupportedCertificate], .encrypted)) {
            // The "leaf" is then the intermediate CA: not a server certificate for localhost.
            $0.mutateCertificate = { $0.entries.reverse() }
        },
        Case("certificate.wrong-host", .certificate, "§4.4.2.4, §6.2",
             .alert([.badCertificate, .certificateUnknown], .encrypted), chain: .wrongHost) { _ in },
        Case("certificate.expired", .certificate, "§6.2", .alert(.certificateExpired, .encrypted), chain: .expired) { _ in },
        Case("certificate.not-yet-valid", .certificate, "§6.2", .alert(.certificateExpired, .encrypted),
             chain: .notYetValid) { _ in },
        Case("certificate.untrusted-root", .certificate, "§6.2", .alert(.unknownCA, .encrypted), chain: .unknownCA) { _ in },
        Case("certificate.self-signed", .certificate, "§6.2", .alert([.unknownCA, .badCertificate], .encrypted),
             chain: .selfSigned) { _ in },
        Case("certificate.zero-length-entry", .certificate, "§4.4.2",
             .alert([.decodeError, .badCertificate], .encrypted)) {
            // cert_data<1..2^24-1>: an empty entry ahead of the intermediate (written by hand: the encoder refuses).
            $0.mutateMessageBytes = { message, bytes in
                guard message == .certificate, bytes[4] == 0 else { return }
                func uint24(_ i: Int) -> Int { Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) }
                func setUInt24(_ i: Int, _ v: Int) { bytes[i...(i + 2)] = [UInt8(v >> 16), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
                let extensionsAt = 8 + 3 + uint24(8)
                let firstEnd = extensionsAt + 2 + (Int(bytes[extensionsAt]) << 8 | Int(bytes[extensionsAt + 1]))
                bytes.insert(contentsOf: [0, 0, 0, 0, 0], at: firstEnd)
                setUInt24(1, uint24(1) + 5)
                setUInt24(5, uint24(5) + 5)
            }
        },
        Case("certificate.oversized-message", .certificate, "local limit (`maxHandshakeMessageSize`)",
             .alert(.illegalParameter, .encrypted)) {
            // A 70 000-byte third "certificate": the message exceeds the client's 64 KiB limit.
            $0.mutateCertificate = { $0.entries.append(.init(certData: [UInt8](repeating: 0x30, count: 70_000))) }
        },
        Case("certificate.chain-too-long", .certificate, "local limit (`maxCertificateChainLength`)",
             .alert(.badCertificate, .encrypted)) {
            $0.mutateCertificate = { $0.entries += Array(repeating: $0.entries[1], count: 10) }
        },
        Case("certificate.non-empty-request-context", .certificate, "§4.4.2", .alert(.illegalParameter, .encrypted)) {
            $0.mutateCertificate = { $0.certificateRequestContext = [1] }
        },
        Case("certificate.unsolicited-entry-extension", .certificate, "§4.2, §4.4.2",
             .alert(.unsupportedExtension, .encrypted)) {
            // signed_certificate_timestamp is never requested (status_request now is, by default).
            $0.mutateCertificate = { $0.entries[0].extensions = [RawExtension(.signedCertificateTimestamp, [0, 0])] }
        },
    ]

    // MARK: - CertificateVerify

    static let certificateVerify: [MalformedServerCase] = [
        Case("certificate-verify.rsa-pss-accepted", .certificateVerify, "§4.2.3, §4.4.3", .accept, chain: .rsa2048,
             check: { #expect($0.client.info?.signatureScheme == .rsaPSSRSAESHA256) }) { _ in },
        Case("certificate-verify.ed25519-accepted", .certificateVerify, "§4.2.3, §4.4.3", .accept, chain: .ed25519,
             check: { #expect($0.client.info?.signatureScheme == .ed25519) }) { _ in },
        Case("certificate-verify.ecdsa-p384-accepted", .certificateVerify, "§4.2.3, §4.4.3", .accept,
             chain: .ecdsaP384, check: { #expect($0.client.info?.signatureScheme == .ecdsaSecp384r1SHA384) }) { _ in },
        Case("certificate-verify.bad-signature-ecdsa", .certificateVerify, "§4.4.3", .alert(.decryptError, .encrypted)) {
            $0.mutateCertificateVerify = { $0.signature[$0.signature.count - 1] ^= 0x01 }
        },
        Case("certificate-verify.bad-signature-rsa-pss", .certificateVerify, "§4.4.3",
             .alert(.decryptError, .encrypted), chain: .rsa2048) {
            $0.mutateCertificateVerify = { $0.signature[0] ^= 0x01 }
        },
        Case("certificate-verify.empty-signature", .certificateVerify, "§4.4.3", .alert(.decryptError, .encrypted)) {
            $0.mutateCertificateVerify = { $0.signature = [] }
        },
        Case("certificate-verify.wrong-context-string", .certificateVerify, "§4.4.3",
             .alert(.decryptError, .encrypted)) {
            $0.configuration.certificateVerifySigner = .client
        },
        Case("certificate-verify.over-another-transcript", .certificateVerify, "§4.4.3",
             .alert(.decryptError, .encrypted)) {
            // The EncryptedExtensions on the wire differ from those the server signed over.
            $0.editFlight = { flight in
                guard let index = flight.index(of: .encryptedExtensions) else { return }
                flight[index] = .message(
                    .encryptedExtensions(EncryptedExtensions(extensions: [.supportedGroups([.x25519])])),
                    epoch: .handshake)
            }
        },
        Case("certificate-verify.unknown-scheme", .certificateVerify, "§4.4.3", .alert(.illegalParameter, .encrypted)) {
            $0.mutateCertificateVerify = { $0.algorithm = SignatureScheme(rawValue: 0x0999) }
        },
        Case("certificate-verify.scheme-not-offered", .certificateVerify, "§4.4.3",
             .alert(.illegalParameter, .encrypted), chain: .rsa2048,
             client: { $0.signatureAlgorithms = [.ecdsaSecp256r1SHA256, .rsaPSSRSAESHA256] }) {
            // A valid RSA-PSS-SHA384 signature, but the client offered only SHA-256 schemes.
            $0.configuration.signatureScheme = .rsaPSSRSAESHA384
        },
        Case("certificate-verify.rsa-pkcs1", .certificateVerify, "§4.2.3, §4.4.3",
             .alert(.illegalParameter, .encrypted), chain: .rsa2048) {
            $0.mutateCertificateVerify = { $0.algorithm = .rsaPKCS1SHA256 }
        },
        Case("certificate-verify.scheme-does-not-match-key", .certificateVerify, "§4.4.3",
             .alert(.illegalParameter, .encrypted)) {
            $0.mutateCertificateVerify = { $0.algorithm = .ecdsaSecp384r1SHA384 }
        },
    ]

    // MARK: - Finished

    static let finished: [MalformedServerCase] = [
        Case("finished.bad-verify-data", .finished, "§4.4.4", .alert(.decryptError, .encrypted)) {
            $0.mutateFinished = { $0.verifyData[0] ^= 0x80 }
        },
        Case("finished.verify-data-all-zero", .finished, "§4.4.4", .alert(.decryptError, .encrypted)) {
            $0.mutateFinished = { $0.verifyData = [UInt8](repeating: 0, count: 32) }
        },
        Case("finished.verify-data-31-bytes", .finished, "§4.4.4", .alert(.decodeError, .encrypted)) {
            $0.mutateFinished = { $0.verifyData.removeLast() }
        },
        Case("finished.verify-data-48-bytes-under-sha256", .finished, "§4.4.4", .alert(.decodeError, .encrypted)) {
            $0.mutateFinished = { $0.verifyData += [UInt8](repeating: 0xAB, count: 16) }
        },
        Case("finished.empty", .finished, "§4.4.4", .alert(.decodeError, .encrypted)) {
            $0.mutateMessageBytes = { message, bytes in
                if message == .finished { bytes = [HandshakeType.finished.rawValue, 0, 0, 0] }
            }
        },
    ]

    // MARK: - Record layer

    static let recordLayer: [MalformedServerCase] = [
        Case("record.bad-aead-tag", .recordLayer, "§5.2", .alert(.badRecordMAC, .encrypted)) {
            // The tag of the record carrying the Certificate.
            $0.editRecords = { records in
                guard let first = records.firstIndex(where: { $0.epoch == .handshake }),
                    records.indices.contains(first + 1)
                else { return }
                records[first + 1].bytes[records[first + 1].bytes.count - 1] ^= 0x01
            }
        },
        Case("record.records-reordered", .recordLayer, "§5.3", .alert(.badRecordMAC, .encrypted)) {
            // Certificate and CertificateVerify swapped: each is opened with the other's sequence number.
            $0.editRecords = { records in
                guard let first = records.firstIndex(where: { $0.epoch == .handshake }),
                    records.indices.contains(first + 2)
                else { return }
                records.swapAt(first + 1, first + 2)
            }
        },
        Case("record.encrypted-extensions-under-application-keys", .recordLayer, "§5.2, §7.3",
             .alert(.badRecordMAC, .encrypted)) {
            $0.editFlight = { $0.setEpoch(of: .encryptedExtensions, to: .application) }
        },
        Case("record.plaintext-too-long", .recordLayer, "§5.1", .alert(.recordOverflow, .plaintext)) {
            $0.editFlight = {
                $0.insert(.raw([22, 3, 3, 0x40, 0x01] + [UInt8](repeating: 0, count: 16_385)), before: .serverHello)
            }
        },
        Case("record.ciphertext-too-long", .recordLayer, "§5.2", .alert(.recordOverflow, .encrypted)) {
            $0.editFlight = {
                $0.insert(.raw([23, 3, 3, 0x41, 0x01] + [UInt8](repeating: 0, count: 16_641)), after: .encryptedExtensions)
            }
        },
        Case("record.decrypted-content-too-long", .recordLayer, "§5.2", .alertAfterHandshake(.recordOverflow),
             afterHandshake: {
                 try $0.send([.record(.applicationData, [UInt8](repeating: 1, count: 16_385), epoch: .application)])
             }) { _ in },
        Case("record.unknown-content-type-plaintext", .recordLayer, "§5", .alert(.unexpectedMessage, .plaintext)) {
            $0.editFlight = { $0.insert(.raw([0x19, 3, 3, 0, 1, 0]), before: .serverHello) }
        },
        Case("record.unknown-content-type-encrypted", .recordLayer, "§5", .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = {
                $0.insert(.record(ContentType(rawValue: 0x19), [1], epoch: .handshake), after: .encryptedExtensions)
            }
        },
        Case("record.not-tls-at-all", .recordLayer, "§5, §5.1", .alert([.decodeError, .unexpectedMessage], .plaintext)) {
            $0.editFlight = { $0 = [.raw(Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8))] }
        },
        Case("record.plaintext-handshake-after-encryption", .recordLayer, "§5", .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = { $0.setEpoch(of: .certificate, to: .plaintext) }
        },
        Case("record.plaintext-alert-after-encryption", .recordLayer, "§5", .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = { $0.insert(.alert(.handshakeFailure, epoch: .plaintext), after: .encryptedExtensions) }
        },
        Case("record.application-data-before-server-hello", .recordLayer, "§2, §5",
             .alert(.unexpectedMessage, .plaintext)) {
            $0.editFlight = { $0.insert(.record(.applicationData, [1, 2, 3], epoch: .plaintext), before: .serverHello) }
        },
        Case("record.application-data-before-finished", .recordLayer, "§2, §4.4.4",
             .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = {
                $0.insert(.record(.applicationData, Array("too early".utf8), epoch: .handshake), before: .finished)
            }
        },
        Case("record.zero-length-handshake-plaintext", .recordLayer, "§5.1", .alert(.unexpectedMessage, .plaintext)) {
            $0.editFlight = { $0.insert(.record(.handshake, [], epoch: .plaintext), before: .serverHello) }
        },
        Case("record.zero-length-handshake-encrypted", .recordLayer, "§5.1", .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = { $0.insert(.record(.handshake, [], epoch: .handshake), after: .encryptedExtensions) }
        },
        Case("record.zero-length-application-data-allowed", .recordLayer, "§5.1", .accept,
             afterHandshake: {
                 try $0.send([
                     .record(.applicationData, [], epoch: .application),
                     .record(.applicationData, [], epoch: .application),
                 ])
             }) { _ in },
        Case("record.too-many-empty-application-data", .recordLayer, "local limit (`RecordLayer.maxConsecutiveEmptyRecords`)",
             .alertAfterHandshake(.unexpectedMessage),
             afterHandshake: { server in
                 try server.send(Array(repeating: .record(.applicationData, [], epoch: .application),
                                       count: RecordLayer.maxConsecutiveEmptyRecords + 1))
             }) { _ in },
        Case("record.too-many-change-cipher-spec", .recordLayer, "local limit (`RecordLayer.maxConsecutiveEmptyRecords`)",
             .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = { flight in
                guard let index = flight.index(of: .encryptedExtensions) else { return }
                flight.insert(contentsOf: Array(repeating: .changeCipherSpec, count: RecordLayer.maxConsecutiveEmptyRecords + 1),
                              at: index)
            }
        },
        Case("alert.too-many-user-canceled", .postHandshake,
             "local limit (`ClientStateMachine.maxConsecutiveUserCanceledAlerts`)", .alertAfterHandshake(.unexpectedMessage),
             afterHandshake: { server in
                 for _ in 0...ClientStateMachine.maxConsecutiveUserCanceledAlerts {
                     try server.sendAlert(.userCanceled, level: .warning)
                 }
             }) { _ in },
        Case("keyupdate.too-many-without-data", .postHandshake,
             "local limit (`ClientStateMachine.maxConsecutiveKeyUpdates`)", .alertAfterHandshake(.unexpectedMessage),
             afterHandshake: { server in
                 for _ in 0...ClientStateMachine.maxConsecutiveKeyUpdates { try server.sendKeyUpdate(.updateNotRequested) }
             }) { _ in },
        Case("record.padding-accepted", .recordLayer, "§5.4", .accept) {
            $0.configuration.recordPadding = 200
        },
        Case("record.all-zero-inner-plaintext", .recordLayer, "§5.4", .alert(.unexpectedMessage, .encrypted)) {
            // Only padding: no non-zero content type.
            $0.editFlight = {
                $0.insert(.record(ContentType(rawValue: 0), [], epoch: .handshake), after: .encryptedExtensions)
            }
        },
        Case("record.ccs-middlebox-compatibility", .recordLayer, "§5, §D.4", .accept) {
            $0.editFlight = {
                $0.insert(.changeCipherSpec, before: .serverHello)
                $0.insert(.changeCipherSpec, after: .serverHello)
                $0.insert(.changeCipherSpec, after: .certificate)
            }
        },
        Case("record.ccs-after-server-finished", .recordLayer, "§5", .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = { $0.append(.changeCipherSpec) }
        },
        Case("record.ccs-wrong-value", .recordLayer, "§5", .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = {
                $0.insert(.raw([ContentType.changeCipherSpec.rawValue, 3, 3, 0, 1, 2]), after: .serverHello)
            }
        },
        Case("record.ccs-encrypted", .recordLayer, "§5", .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = { $0.insert(.record(.changeCipherSpec, [1], epoch: .handshake), after: .encryptedExtensions) }
        },
        Case("record.fatal-alert-interleaved", .recordLayer, "§6, §6.2", .peerAlert(.handshakeFailure)) {
            $0.editFlight = { $0.insert(.alert(.handshakeFailure, epoch: .handshake), after: .encryptedExtensions) }
        },
        Case("record.warning-handshake-failure-is-fatal", .recordLayer, "§6", .peerAlert(.handshakeFailure)) {
            $0.editFlight = {
                $0.insert(.alert(.handshakeFailure, level: .warning, epoch: .handshake), after: .certificate)
            }
        },
        Case("record.user-canceled-warning-ignored", .recordLayer, "§6.1", .accept) {
            $0.editFlight = {
                $0.insert(.alert(.userCanceled, level: .warning, epoch: .handshake), after: .encryptedExtensions)
            }
        },
        Case("record.close-notify-during-handshake", .recordLayer, "§6.1", .peerAlert(.closeNotify)) {
            $0.editFlight = {
                $0.insert(.alert(.closeNotify, level: .warning, epoch: .handshake), after: .encryptedExtensions)
            }
        },
        Case("record.alert-inside-fragmented-message", .recordLayer, "§5.1", .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = { flight in
                let bytes = flight.bytes(of: .certificate)
                guard let index = flight.index(of: .certificate) else { return }
                flight[index] = .handshake(Array(bytes.prefix(100)), epoch: .handshake)
                flight.insert(.alert(.handshakeFailure, epoch: .handshake), at: index + 1)
                flight.insert(.handshake(Array(bytes.dropFirst(100)), epoch: .handshake), at: index + 2)
            }
        },
        Case("record.alert-of-three-bytes", .recordLayer, "§6", .alert(.decodeError, .encrypted)) {
            $0.editFlight = { $0.insert(.record(.alert, [2, 40, 0], epoch: .handshake), after: .encryptedExtensions) }
        },
        Case("record.bad-tag-after-handshake", .recordLayer, "§5.2", .alertAfterHandshake(.badRecordMAC),
             afterHandshake: { server in
                 server.editRecords = { $0[0].bytes[$0[0].bytes.count - 1] ^= 0x01 }
                 try server.sendApplicationData(Array("tampered".utf8))
                 server.editRecords = nil
             }) { _ in },
        Case("record.application-data-right-after-server-finished", .recordLayer, "§2, §4.4.4", .accept,
             greets: false) {
            // "0.5-RTT" data: sent with the server's flight, before the client's Finished; delivered only after
            // the client has verified the server's Finished.
            $0.editFlight = { $0.append(.record(.applicationData, LoopbackScriptedServer.greeting, epoch: .application)) }
        },
        Case("record.padding-to-the-inner-plaintext-limit", .recordLayer, "§5.4", .accept,
             afterHandshake: { $0.configuration.recordPadding = 16_385 - 1 - LoopbackScriptedServer.greeting.count }
        ) { _ in },
        Case("record.padding-past-the-inner-plaintext-limit", .recordLayer, "§5.2, §5.4",
             .alertAfterHandshake(.recordOverflow),
             afterHandshake: { $0.configuration.recordPadding = 16_385 - LoopbackScriptedServer.greeting.count }) { _ in },
        Case("record.plaintext-record-version-ignored", .recordLayer, "§5.1", .accept) {
            // legacy_record_version 0x0301 on the ServerHello record: "MUST be ignored for all purposes".
            $0.editRecords = { records in
                for i in records.indices where records[i].epoch == .plaintext { records[i].bytes[2] = 0x01 }
            }
        },
        Case("record.protected-record-version-altered", .recordLayer, "§5.2", .alert(.badRecordMAC, .encrypted)) {
            // The header is the AEAD's additional data: changing its version after sealing breaks the tag.
            $0.editRecords = { records in
                guard let i = records.firstIndex(where: { $0.epoch == .handshake }) else { return }
                records[i].bytes[2] = 0x01
            }
        },
        Case("record.alert-of-one-byte", .recordLayer, "§5.1, §6", .alert(.decodeError, .encrypted)) {
            $0.editFlight = { $0.insert(.record(.alert, [2], epoch: .handshake), after: .encryptedExtensions) }
        },
        Case("record.two-alerts-in-one-record", .recordLayer, "§5.1, §6", .alert(.decodeError, .encrypted)) {
            $0.editFlight = {
                $0.insert(.record(.alert, [1, 90, 1, 90], epoch: .handshake), after: .encryptedExtensions)
            }
        },
    ]

    // MARK: - Message framing

    static let framing: [MalformedServerCase] = [
        Case("framing.one-message-per-record", .framing, "§5.1", .accept) {
            $0.configuration.framing = .recordPerMessage
        },
        Case("framing.coalesced", .framing, "§5.1", .accept) {
            $0.configuration.framing = .coalesced
        },
        Case("framing.split-at-every-byte", .framing, "§5.1", .accept) {
            // Every boundary at once: one handshake byte per record.
            $0.configuration.framing = .fragments(1)
        },
        Case("framing.split-inside-every-header", .framing, "§5.1", .accept) { server in
            // Cuts after the 1st, 2nd, 3rd and 4th byte of every message (type, then inside the uint24 length).
            server.editFlight = { [unowned server] flight in
                var cuts = Set<Int>()
                var offset = 0
                for case .handshake(let bytes, _, _) in flight {
                    for k in 1...4 { cuts.insert(offset + k) }
                    offset += bytes.count
                }
                server.configuration.framing = .split(at: cuts)
            }
        },
        Case("framing.split-messages-across-records", .framing, "§5.1", .accept) { server in
            // Every record carries the tail of one message and the head of the next.
            server.editFlight = { [unowned server] flight in
                var cuts = Set<Int>()
                var offset = 0
                for case .handshake(let bytes, _, _) in flight {
                    cuts.insert(offset + bytes.count / 2)
                    offset += bytes.count
                }
                server.configuration.framing = .split(at: cuts)
            }
        },
        Case("framing.server-hello-and-encrypted-extensions-in-one-plaintext-record", .framing, "§5.1",
             .alert(.unexpectedMessage, .plaintext)) {
            $0.configuration.framing = .coalesced
            $0.editFlight = { $0.setEpoch(of: .encryptedExtensions, to: .plaintext) }
        },
        Case("framing.finished-shares-record-with-next-message", .framing, "§5.1",
             .alert(.unexpectedMessage, .encrypted)) {
            let ticket = HandshakeMessage.newSessionTicket(NewSessionTicket(
                ticketLifetime: 60, ticketAgeAdd: 1, ticketNonce: [], ticket: [1, 2, 3])).scriptEncoded
            $0.configuration.framing = .coalesced
            $0.editFlight = { $0.append(.handshake(Array(ticket.prefix(6)), epoch: .handshake)) }
        },
        Case("framing.message-length-too-short", .framing, "§4, §6.2", .alert(.decodeError, .encrypted)) {
            // EncryptedExtensions declares 1 body byte of its 2.
            $0.mutateMessageBytes = { message, bytes in
                if message == .encryptedExtensions { bytes[3] -= 1 }
            }
        },
        Case("framing.message-length-too-long", .framing, "§4, §6.2", .alert(.decodeError, .encrypted)) {
            // EncryptedExtensions declares one byte more: it swallows the Certificate's type byte.
            $0.mutateMessageBytes = { message, bytes in
                if message == .encryptedExtensions { bytes[3] += 1 }
            }
        },
        Case("framing.message-length-16-mib", .framing, "local limit (`maxHandshakeMessageSize`)",
             .alert(.illegalParameter, .encrypted)) {
            // A header announcing 2^24-1 bytes: rejected at once, not waited for until the timeout.
            $0.mutateMessageBytes = { message, bytes in
                if message == .encryptedExtensions { bytes[1...3] = [0xFF, 0xFF, 0xFF] }
            }
        },
        Case("framing.server-hello-extensions-length-too-short", .framing, "§4.1.3, §6.2",
             .alert(.decodeError, .plaintext)) {
            $0.mutateMessageBytes = { message, bytes in
                guard message == .serverHello else { return }
                let sessionIDLength = Int(bytes[4 + 2 + 32])
                let at: Int = 4 + 2 + 32 + 1 + sessionIDLength + 2 + 1
                bytes[at + 1] -= 1
            }
        },
        Case("framing.signature-length-too-long", .framing, "§4.4.3, §6.2", .alert(.decodeError, .encrypted)) {
            $0.mutateMessageBytes = { message, bytes in
                if message == .certificateVerify { bytes[7] += 1 }
            }
        },
        Case("framing.certificate-list-length-too-short", .framing, "§4.4.2, §6.2", .alert(.decodeError, .encrypted)) {
            $0.mutateMessageBytes = { message, bytes in
                if message == .certificate { bytes[7] -= 1 }
            }
        },
        Case("framing.unknown-handshake-type", .framing, "§4, §A.1", .alert(.unexpectedMessage, .encrypted)) {
            $0.editFlight = { $0.insert(.handshake([0x63, 0, 0, 1, 0], epoch: .handshake), after: .encryptedExtensions) }
        },
        Case("framing.hello-retry-request-flights-split-at-every-byte", .framing, "§4.1.4, §5.1", .accept,
             check: { #expect($0.client.info?.usedHelloRetryRequest == true) }) {
            preferP256($0)
            $0.configuration.framing = .fragments(1)
        },
        Case("framing.server-hello-continued-under-encryption", .framing, "§5.1",
             .alert(.unexpectedMessage, .plaintext)) {
            $0.editFlight = { flight in
                let bytes = flight.bytes(of: .serverHello)
                guard let index = flight.index(of: .serverHello) else { return }
                flight[index] = .handshake(Array(bytes.prefix(10)), epoch: .plaintext)
                flight.insert(.handshake(Array(bytes.dropFirst(10)), epoch: .handshake), at: index + 1)
            }
        },
    ]

    // MARK: - Key shares

    static let keyShare: [MalformedServerCase] = [
        Case("key-share.p256-accepted", .keyShare, "§4.2.8.2", .accept, client: { $0.keyShareGroups = [.secp256r1] },
             check: { #expect($0.client.info?.group == .secp256r1 && $0.client.info?.usedHelloRetryRequest == false) },
             mutate: preferP256),
        Case("key-share.x25519-all-zero-result", .keyShare, "§7.4.2", .alert(.illegalParameter, .plaintext),
             mutate: editServerKeyShare { $0.keyExchange = [UInt8](repeating: 0, count: 32) }),
        Case("key-share.x25519-low-order-point", .keyShare, "§7.4.2", .alert(.illegalParameter, .plaintext),
             mutate: editServerKeyShare { $0.keyExchange = x25519OrderEightPoint }),
        Case("key-share.x25519-wrong-length", .keyShare, "§4.2.8.2", .alert([.illegalParameter, .decodeError], .plaintext),
             mutate: editServerKeyShare { $0.keyExchange.removeLast() }),
        Case("key-share.p256-point-off-curve", .keyShare, "§4.2.8.2", .alert(.illegalParameter, .plaintext),
             client: { $0.keyShareGroups = [.secp256r1] }) {
            preferP256($0)
            editServerKeyShare { $0.keyExchange[64] ^= 1 }($0)
        },
        Case("key-share.p256-compressed-point", .keyShare, "§4.2.8.2", .alert(.illegalParameter, .plaintext),
             client: { $0.keyShareGroups = [.secp256r1] }) {
            preferP256($0)
            editServerKeyShare { $0.keyExchange = [0x02 | ($0.keyExchange[64] & 1)] + $0.keyExchange[1...32] }($0)
        },
        Case("key-share.p256-point-at-infinity", .keyShare, "§4.2.8.2", .alert(.illegalParameter, .plaintext),
             client: { $0.keyShareGroups = [.secp256r1] }) {
            preferP256($0)
            editServerKeyShare { $0.keyExchange = [0x00] }($0)
        },
        Case("key-share.group-not-offered", .keyShare, "§4.2.8", .alert(.illegalParameter, .plaintext),
             mutate: editServerKeyShare { $0.group = .secp521r1 }),
        Case("key-share.offered-group-without-a-share", .keyShare, "§4.2.8", .alert(.illegalParameter, .plaintext)) {
            $0.mutateServerHello = { hello in
                // A real P-256 point: only the group is wrong (the client sent no P-256 share).
                let point = (try? makeKeyShare(group: .secp256r1).publicKey) ?? []
                hello.extensions = hello.extensions.map {
                    $0.extensionType == .keyShare ? .keyShare(KeyShareEntry(group: .secp256r1, keyExchange: point)) : $0
                }
            }
        },
    ]

    // MARK: - After the handshake

    static let postHandshake: [MalformedServerCase] = [
        Case("post-handshake.key-update-not-requested", .postHandshake, "§4.6.3", .accept,
             afterHandshake: { try $0.sendKeyUpdate(.updateNotRequested) },
             check: { #expect($0.report.keyUpdates.isEmpty, "the client answered a KeyUpdate nobody asked for") }) { _ in },
        Case("post-handshake.key-update-requested", .postHandshake, "§4.6.3", .accept,
             afterHandshake: { try $0.sendKeyUpdate(.updateRequested) },
             check: { #expect($0.report.keyUpdates.map(\.requestUpdate) == [.updateNotRequested]) }) { _ in },
        Case("post-handshake.new-session-ticket", .postHandshake, "§4.6.1", .accept,
             afterHandshake: { try $0.sendNewSessionTicket() },
             check: { #expect($0.client.tickets == 1) }) { _ in },
        Case("post-handshake.tickets-and-key-updates-interleaved", .postHandshake, "§4.6.1, §4.6.3", .accept,
             afterHandshake: {
                 try $0.sendNewSessionTicket()
                 try $0.sendKeyUpdate(.updateNotRequested)
                 try $0.sendNewSessionTicket()
                 try $0.sendKeyUpdate(.updateRequested)
             },
             check: {
                 #expect($0.client.tickets == 2)
                 #expect($0.report.keyUpdates.count == 1)
             }) { _ in },
        Case("post-handshake.ticket-split-across-records", .postHandshake, "§4.6.1, §5.1", .accept,
             afterHandshake: { server in
                 server.configuration.framing = .fragments(3)
                 try server.sendNewSessionTicket()
                 server.configuration.framing = .recordPerMessage
             },
             check: { #expect($0.client.tickets == 1) }) { _ in },
        Case("post-handshake.key-update-unknown-request", .postHandshake, "§4.6.3",
             .alertAfterHandshake(.illegalParameter),
             afterHandshake: {
                 try $0.send([.handshake([HandshakeType.keyUpdate.rawValue, 0, 0, 1, 2], epoch: .application)])
             }) { _ in },
        Case("post-handshake.ticket-with-forbidden-extension", .postHandshake, "§4.2, §4.6.1",
             .alertAfterHandshake(.illegalParameter),
             afterHandshake: {
                 try $0.sendNewSessionTicket(NewSessionTicket(
                     ticketLifetime: 60, ticketAgeAdd: 0, ticketNonce: [], ticket: [1],
                     extensions: [.unknown(.keyShare, [])]))
             }) { _ in },
        Case("post-handshake.handshake-message-not-allowed", .postHandshake, "§4, §A.1",
             .alertAfterHandshake(.unexpectedMessage),
             afterHandshake: {
                 try $0.send([.message(.encryptedExtensions(EncryptedExtensions(extensions: [])), epoch: .application)])
             }) { _ in },
        Case("post-handshake.large-ticket-spans-records", .postHandshake, "§4.6.1, §5.1", .accept,
             afterHandshake: {
                 try $0.sendNewSessionTicket(NewSessionTicket(
                     ticketLifetime: 60, ticketAgeAdd: 7, ticketNonce: [1],
                     ticket: [UInt8](repeating: 0x5A, count: 60_000)))
             },
             check: { #expect($0.client.tickets == 1) }) { _ in },
        Case("post-handshake.key-update-not-at-record-end", .postHandshake, "§5.1",
             .alertAfterHandshake(.unexpectedMessage),
             afterHandshake: { server in
                 let update = try HandshakeMessage.keyUpdate(KeyUpdate(requestUpdate: .updateNotRequested)).encoded
                 let ticket = try HandshakeMessage.newSessionTicket(NewSessionTicket(
                     ticketLifetime: 60, ticketAgeAdd: 1, ticketNonce: [], ticket: [1])).encoded
                 try server.send([.handshake(update + ticket, epoch: .application)])
             }) { _ in },
        Case("post-handshake.certificate-request-not-offered", .postHandshake, "§4.6.2",
             .alertAfterHandshake(.unexpectedMessage),
             afterHandshake: {
                 try $0.send([.message(.certificateRequest(CertificateRequest(
                     certificateRequestContext: [7], extensions: [.signatureAlgorithms([.ecdsaSecp256r1SHA256])])),
                     epoch: .application)])
             }) { _ in },
        Case("post-handshake.close-notify-then-data-ignored", .postHandshake, "§6.1", .peerClosedAfterHandshake,
             afterHandshake: { try $0.sendAlert(.closeNotify, level: .warning) }) { _ in },
    ]

    // MARK: - Transport

    static let transportCases: [MalformedServerCase] = [
        Case("transport.fin-before-server-hello", .transport, "§6.1", .transport(.closed),
             transport: .closeAfter(bytes: 0)) { _ in },
        Case("transport.fin-inside-server-hello", .transport, "§6.1", .transport(.closed),
             transport: .closeAfter(bytes: 40)) { _ in },
        Case("transport.fin-inside-encrypted-flight", .transport, "§6.1", .transport(.closed),
             transport: .closeAfter(bytes: 400)) { _ in },
        Case("transport.rst-before-server-hello", .transport, "§6.1", .transport(.reset),
             transport: .resetAfter(bytes: 0)) { _ in },
        Case("transport.rst-inside-encrypted-flight", .transport, "§6.1", .transport(.reset),
             transport: .resetAfter(bytes: 400)) { _ in },
        Case("transport.stall-after-server-hello", .transport, "—", .transport(.timedOut),
             transport: .stallAfterServerHello,
             client: { $0.handshakeTimeout = MalformedServerTests.stallTimeout }) { _ in },
        Case("transport.rst-inside-server-hello", .transport, "§6.1", .transport(.reset),
             transport: .resetAfter(bytes: 40)) { _ in },
        Case("transport.trickling-server", .transport, "—", .transport(.timedOut),
             transport: .trickle(bytes: 1, interval: 0.02),
             client: { $0.handshakeTimeout = MalformedServerTests.stallTimeout }) { _ in },
        Case("transport.fin-after-server-finished", .transport, "§6.1", .truncatedAfterHandshake,
             transport: .closeAfterServerFinished) { _ in },
    ]

    // MARK: - Helpers

    private typealias Case = MalformedServerCase

    /// A server that selects P-256 (a client that shared only x25519 gets a HelloRetryRequest).
    private static let preferP256: @Sendable (ScriptedServer) -> Void = { $0.configuration.groups = [.secp256r1] }

    /// Edits the key share in the ServerHello (the server's own keys are unchanged).
    private static func editServerKeyShare(
        _ edit: @escaping @Sendable (inout KeyShareEntry) -> Void
    ) -> @Sendable (ScriptedServer) -> Void {
        { server in
            server.mutateServerHello = { hello in
                hello.extensions = hello.extensions.map {
                    guard case .keyShare(var share) = $0 else { return $0 }
                    edit(&share)
                    return .keyShare(share)
                }
            }
        }
    }

    /// Library deviations these cases expose (see the report in `Docs/Security.md`).


    /// An x25519 point of order 8 (Wycheproof's "low order" cases): the shared secret is all zero.
    private static let x25519OrderEightPoint: [UInt8] = [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
        0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
    ]
}
