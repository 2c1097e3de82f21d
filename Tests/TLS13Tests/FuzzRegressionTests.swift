import Foundation
import Testing

@testable import TLS13

/// Inputs of the libFuzzer targets (`Docs/Fuzzing.md`) replayed through the normal build (real AEADs, no
/// fuzzing code): every crasher the fuzzers found (`Vectors/fuzz-regressions/`), and the committed seed corpus
/// (`Fuzz/Corpus/`). A peer's bytes may only ever produce a ``TLSError``: these tests fail on a trap as much as
/// on a wrong outcome.
@Suite struct FuzzRegressionTests {
    // MARK: - The committed corpus

    /// Client seeds that `Fuzz/Tools/seedgen.swift` builds to fail on purpose, and the alert each gets.
    static let failingClientSeeds: [String: AlertDescription] = [
        "gen-openssl-rsa2048-alpn-no-alpn-offered": .unsupportedExtension,
        "gen-openssl-resumption-early-data-psk-without-early-data": .unsupportedExtension,
        "gen-rfc8448-s3-adapted-no-sni": .unsupportedExtension,
        "gen-rfc8448-s3-sni": .unsupportedExtension,
        "gen-rfc8448-s5-hrr": .unsupportedExtension,
    ]

    @Test func clientSeedsCompleteTheHandshakeWithRealRecordProtection() throws {
        let files = FuzzReplay.files(in: FuzzReplay.fuzzRoot.appendingPathComponent("Corpus/client"))
        #expect(files.count >= 20, "Fuzz/Corpus/client has \(files.count) files")
        var connected = 0
        for file in files {
            let name = file.lastPathComponent
            let outcome = try FuzzReplay.client(Array(try Data(contentsOf: file)))
            if !name.hasPrefix("gen-") { continue }  // only: no trap
            if let alert = Self.failingClientSeeds[name] {
                #expect(outcome.state == .failed, "\(name)")
                #expect(outcome.error?.alert == alert, "\(name): \(String(describing: outcome.error))")
            } else {
                #expect(outcome.state == .connected, "\(name): \(outcome.state) \(String(describing: outcome.error))")
                #expect(outcome.error == nil, "\(name): \(String(describing: outcome.error))")
                #expect(outcome.events.contains(.handshakeComplete), "\(name)")
                if outcome.state == .connected { connected += 1 }
            }
        }
        #expect(connected >= 15)
    }

    @Test func clientSeedReachesPostHandshakeMessages() throws {
        let file = FuzzReplay.fuzzRoot.appendingPathComponent("Corpus/client/gen-openssl-ecdsa-p256-fix-keyupdate")
        let outcome = try FuzzReplay.client(Array(try Data(contentsOf: file)))
        #expect(outcome.events.contains(.peerKeyUpdate(replyQueued: true)))
        #expect(outcome.events.filter { if case .newSessionTicket = $0 { true } else { false } }.count == 2)
        #expect(outcome.events.contains(.applicationData(Array("HTTP/1.1 200 OK\r\n\r\nhello".utf8))))
        #expect(outcome.events.last == .peerClosed)
    }

    @Test func messageAndRecordSeedsReplayWithoutTrapping() throws {
        let messages = FuzzReplay.files(in: FuzzReplay.fuzzRoot.appendingPathComponent("Corpus/messages"))
        #expect(messages.count >= 100)
        var parsed = 0
        for file in messages {
            if (try? FuzzReplay.messages(Array(try Data(contentsOf: file)))) != nil { parsed += 1 }
        }
        // The seeds are real messages and extension blocks: nearly all of them parse.
        #expect(parsed * 10 >= messages.count * 9, "\(parsed) of \(messages.count) message seeds parse")

        let records = FuzzReplay.files(in: FuzzReplay.fuzzRoot.appendingPathComponent("Corpus/record"))
        #expect(records.count >= 5)
        for file in records {
            _ = FuzzReplay.record(Array(try Data(contentsOf: file)))
        }
        let null = try Data(contentsOf: FuzzReplay.fuzzRoot.appendingPathComponent("Corpus/record/gen-null-aes128gcm"))
        let replay = FuzzReplay.record(Array(null))
        let failure = replay.error
        #expect(failure == nil)
        #expect(replay.records.map(\.contentType).last == .alert)
        #expect(replay.records.allSatisfy { $0.wasEncrypted })
    }

    /// The seeds of the ECHConfigList and CompressedCertificate selectors reach what they are for: the six compressed
    /// Certificates (two chains × zstd, brotli, zlib) decompress to their chains, and each ECHConfigList parses with
    /// the config a client would choose (an unknown version, a mandatory extension, an IP address as public name and
    /// an export-only suite passed over).
    @Test func echAndCompressionSeedsReachTheirParsers() throws {
        let directory = FuzzReplay.fuzzRoot.appendingPathComponent("Corpus/messages")
        func replay(_ name: String) throws -> String {
            try FuzzReplay.messages(Array(try Data(contentsOf: directory.appendingPathComponent(name))))
        }
        for chain in ["rfc8448", "openssl-ecdsa-p256"] {
            for algorithm in ["zstd", "brotli", "zlib"] {
                let certificates = chain == "rfc8448" ? 1 : 2
                #expect(try replay("gen-compressed-certificate-\(chain)-\(algorithm)") == "\(certificates) certificates")
            }
        }
        #expect(try replay("gen-ech-config-x25519").hasSuffix("chosen: 7 HKDF-SHA256, AES-128-GCM"))
        #expect(try replay("gen-ech-config-mixed").hasSuffix("chosen: 2 HKDF-SHA384, AES-256-GCM"))
        #expect(try replay("gen-ech-config-ip-name").hasSuffix("chosen: 4 HKDF-SHA256, ChaCha20-Poly1305"))
    }

    // MARK: - Crashers (Vectors/fuzz-regressions/)

    /// Every regression input replays through its target's normal API without trapping. (A name starting
    /// `known-` would mark an input whose fix is still pending; none is now.)
    @Test func everyRegressionInputReplays() throws {
        let root = VectorPaths.root.appendingPathComponent("fuzz-regressions")
        var total = 0
        for target in ["client", "messages", "record"] {
            let files = FuzzReplay.files(in: root.appendingPathComponent(target))
            total += files.count
            for file in files where !file.lastPathComponent.hasPrefix("known-") {
                let input = Array(try Data(contentsOf: file))
                switch target {
                case "client": _ = try FuzzReplay.client(input)
                case "messages": _ = try? FuzzReplay.messages(input)
                default: _ = FuzzReplay.record(input)
                }
            }
        }
        #expect(total >= 1, "fuzz-regressions/ is missing")
    }

    /// messages target, selector 21 (`TLSSession(serialized:)`), found 2026-11-26: a saved session whose ALPN is
    /// 255 bytes that are not all UTF-8 parses (``TLSSession/init(serialized:)`` decodes it with
    /// `String(decoding:as:)`, each invalid byte becoming U+FFFD, 3 bytes), and ``TLSSession/serialized()`` then
    /// traps in `ByteWriter.withLengthPrefix` ("vector too long for its length prefix") writing the now longer
    /// ALPN. A session file (`--sess-in`) can crash the process that re-saves it. Fix (Handshake/TLSSession.swift):
    /// reject an ALPN or server name that is not valid UTF-8 in `init(serialized:)` (`invalidConfiguration`).
    /// Replayed in a child process so that a regression fails this test instead of killing the test runner.
    @Test func savedSessionWithNonUTF8ALPN() async {
        await #expect(processExitsWith: .success) {
            let input = Array(try! VectorPaths.load("fuzz-regressions/messages/session-alpn-not-utf8"))
            // What the messages target does: parse, and if that succeeds, save and parse again.
            if let session = try? TLSSession(serialized: Array(input.dropFirst())) {
                _ = try? TLSSession(serialized: session.serialized())
            }
        }
    }

    /// The same bug from a hand-made session, without the fuzzer's noise and without trapping: a saved session
    /// whose ALPN is 200 bytes of 0xFF must be refused as malformed (not an alert: it is our own file).
    @Test func savedSessionALPNMustBeUTF8() {
        let good = TLSSession(
            ticket: [1, 2, 3], cipherSuite: .aes128GCMSHA256, lifetime: 60, ageAdd: 0, receivedAtMilliseconds: 0,
            maxEarlyDataSize: 0, applicationProtocol: String(repeating: "a", count: 200), serverName: "localhost",
            certificateVerification: .notVerified, peerCertificates: [], psk: SecretBytes([UInt8](repeating: 7, count: 32)))
        var bytes = good.serialized()
        let alpn = bytes.firstIndex(of: 0x61) ?? 0
        for i in alpn..<(alpn + 200) { bytes[i] = 0xFF }
        do throws(TLSError) {
            _ = try TLSSession(serialized: bytes)
            Issue.record("a non-UTF-8 ALPN was accepted from a session file")
        } catch {
            #expect(error.alert == nil, "\(error)")
        }
    }
}
