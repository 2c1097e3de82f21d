import Foundation
import Glibc
import Testing
import TLS13Capture
import TLS13TestSupport

/// The pcapng writer: block layout read back by hand, file mode, and tshark decrypting a real capture from the
/// Decryption Secrets Block alone.
@Suite struct PcapngTests {
    /// A minimal pcapng reader for the checks: (type, body) of each block, checking both length fields.
    static func blocks(_ bytes: [UInt8]) throws -> [(type: UInt32, body: [UInt8])] {
        var out: [(UInt32, [UInt8])] = []
        var at = 0
        while at < bytes.count {
            try #require(at + 12 <= bytes.count)
            let type = le32(bytes, at)
            let total = Int(le32(bytes, at + 4))
            try #require(total >= 12 && total % 4 == 0 && at + total <= bytes.count, "block at \(at): length \(total)")
            #expect(Int(le32(bytes, at + total - 4)) == total, "trailing length of the block at \(at)")
            out.append((type, Array(bytes[(at + 8)..<(at + total - 4)])))
            at += total
        }
        return out
    }

    static func le32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    static func le16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }

    /// Options of a block body from `at`: code → value.
    static func options(_ body: [UInt8], from start: Int) -> [UInt16: [UInt8]] {
        var result: [UInt16: [UInt8]] = [:]
        var at = start
        while at + 4 <= body.count {
            let code = le16(body, at), length = Int(le16(body, at + 2))
            if code == 0 { break }
            result[code] = Array(body[(at + 4)..<(at + 4 + length)])
            at += 4 + (length + 3) / 4 * 4
        }
        return result
    }

    static func samplePackets() -> [CapturedPacket] {
        let syn = FrameBuilder.ethernet(FrameBuilder.ipv4(FrameBuilder.tcp(options: [2, 4, 0xFF, 0xD7])))
        let raw = FrameBuilder.ipv4(FrameBuilder.tcp(seq: 5, flags: 0x18) + [1, 2, 3])
        return [
            CapturedPacket(timestampNanoseconds: 1_700_000_000_123_456_789, linkType: .ethernet, frame: syn),
            CapturedPacket(timestampNanoseconds: 1_700_000_001_000_000_001, linkType: .raw, frame: raw,
                           originalLength: raw.count + 100),
            CapturedPacket(timestampNanoseconds: 1_700_000_002_000_000_000, linkType: .ethernet, frame: syn),
        ]
    }

    @Test(arguments: [0, 1, 2, 3])
    func layout(padding: Int) throws {
        // Key logs of each length mod 4, so the DSB's padding is exercised.
        let keyLog = "CLIENT_RANDOM " + String(repeating: "a", count: 3 + padding) + " 00"
        let writer = PcapngWriter(keyLog: keyLog, snapLength: 1500, interfaceName: "lo")
        let packets = Self.samplePackets()
        let bytes = writer.encode(packets)
        let blocks = try PcapngTests.blocks(bytes)
        #expect(blocks.map(\.type) == [0x0A0D_0D0A, 0x0000_000A, 1, 1, 6, 6, 6])

        let shb = blocks[0].body
        #expect(Self.le32(shb, 0) == 0x1A2B_3C4D)
        #expect(Self.le16(shb, 4) == 1 && Self.le16(shb, 6) == 0)
        #expect(Array(shb[8..<16]) == [UInt8](repeating: 0xFF, count: 8))
        #expect(Self.options(shb, from: 16)[4] == Array("swift-tls13".utf8))

        let dsb = blocks[1].body
        #expect(Self.le32(dsb, 0) == 0x544C_534B)
        let secretsLength = Int(Self.le32(dsb, 4))
        #expect(secretsLength == keyLog.utf8.count + 1)  // a newline is added
        #expect(Array(dsb[8..<(8 + secretsLength)]) == Array((keyLog + "\n").utf8))
        #expect(dsb.count == 8 + (secretsLength + 3) / 4 * 4)
        #expect(dsb[(8 + secretsLength)...].allSatisfy { $0 == 0 })

        let idbEthernet = blocks[2].body, idbRaw = blocks[3].body
        #expect(Self.le16(idbEthernet, 0) == 1 && Self.le16(idbRaw, 0) == 101)
        #expect(Self.le32(idbEthernet, 4) == 1500)
        #expect(Self.options(idbEthernet, from: 8)[2] == Array("lo".utf8))
        #expect(Self.options(idbEthernet, from: 8)[9] == [9])

        // EPBs: interface index by link type, timestamp in ns split high/low, lengths, padded frame.
        for (index, packet) in packets.enumerated() {
            let epb = blocks[4 + index].body
            #expect(Self.le32(epb, 0) == (packet.linkType == .ethernet ? 0 : 1))
            let ts = UInt64(Self.le32(epb, 4)) << 32 | UInt64(Self.le32(epb, 8))
            #expect(ts == packet.timestampNanoseconds)
            #expect(Int(Self.le32(epb, 12)) == packet.frame.count)
            #expect(Int(Self.le32(epb, 16)) == packet.originalLength)
            #expect(Array(epb[20..<(20 + packet.frame.count)]) == packet.frame)
            #expect(epb.count == 20 + (packet.frame.count + 3) / 4 * 4)
        }
    }

    @Test func microsecondsAndNoKeyLog() throws {
        let writer = PcapngWriter(keyLog: nil, timestampResolution: .microseconds)
        let packets = Self.samplePackets()
        let blocks = try PcapngTests.blocks(writer.encode(packets))
        #expect(blocks.map(\.type) == [0x0A0D_0D0A, 1, 1, 6, 6, 6])
        #expect(Self.options(blocks[1].body, from: 8)[9] == [6])
        #expect(Self.options(blocks[1].body, from: 8)[2] == nil)
        let ts = UInt64(Self.le32(blocks[3].body, 4)) << 32 | UInt64(Self.le32(blocks[3].body, 8))
        #expect(ts == 1_700_000_000_123_456)
        // No packets at all: the section header alone, still a valid file.
        #expect(try PcapngTests.blocks(PcapngWriter().encode([])).map(\.type) == [0x0A0D_0D0A])
    }

    @Test func fileIsPrivateAndSymlinksAreRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pcapng-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out.pcapng").path
        // An existing world-readable file becomes 0600.
        _ = FileManager.default.createFile(atPath: path, contents: Data("old".utf8), attributes: [.posixPermissions: 0o644])
        let writer = PcapngWriter(keyLog: "CLIENT_RANDOM 00 00")
        try writer.write(Self.samplePackets(), to: path)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written == writer.encode(Self.samplePackets()))

        let link = directory.appendingPathComponent("link.pcapng").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        #expect(throws: CaptureError.self) { try writer.write([], to: link) }
        do {
            try writer.write([], to: directory.appendingPathComponent("missing/x.pcapng").path)
            Issue.record("wrote into a missing directory")
        } catch {
            guard case .fileError(let p, let reason) = error else { Issue.record("\(error)"); return }
            #expect(p.hasSuffix("missing/x.pcapng"))
            #expect(reason.contains("No such file"))
        }
    }
}

// In the serialized live suite: the permission test's environment switch must not reach this capture.
extension LiveCaptureTests {
    /// tshark reads a real capture written with the key log in a DSB and shows the decrypted request; the same file
    /// without the DSB shows no request. Also checks that tshark's timestamps are ours, to the nanosecond.
    @Test(.enabled(if: LiveConnection.capturePermitted, "capturing needs CAP_NET_RAW"))
    func tsharkDecryptsFromTheSecretsBlockAlone() async throws {
        let tshark = try #require(
            ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "tshark is not installed (Scripts/install-deps.sh installs it)")
        let connection = try await LiveConnection.run()
        #expect(connection.keyLog.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET"))
        #expect(connection.keyLog.contains("CLIENT_TRAFFIC_SECRET_0"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pcapng-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let withSecrets = directory.appendingPathComponent("with.pcapng").path
        let without = directory.appendingPathComponent("without.pcapng").path
        let resolution: PcapngWriter.TimestampResolution = connection.nanosecondTimestamps ? .nanoseconds : .microseconds
        try PcapngWriter(keyLog: connection.keyLog, snapLength: connection.snapLength,
                         interfaceName: connection.interface, timestampResolution: resolution)
            .write(connection.packets, to: withSecrets)
        try PcapngWriter(keyLog: nil, snapLength: connection.snapLength, interfaceName: connection.interface,
                         timestampResolution: resolution)
            .write(connection.packets, to: without)

        let fields = ["-Y", "http.request", "-T", "fields", "-e", "http.request.method", "-e", "http.request.uri",
                      "-e", "http.request.version"]
        let (decrypted, plain, times, count) = try await runBlocking {
            (try runCommand(tshark, ["-r", withSecrets] + fields),
             try runCommand(tshark, ["-r", without] + fields),
             try runCommand(tshark, ["-r", withSecrets, "-T", "fields", "-e", "frame.time_epoch"]),
             try runCommand(tshark, ["-r", withSecrets, "-T", "fields", "-e", "tls.handshake.type", "-Y", "tls.handshake"]))
        }
        #expect(decrypted.status == 0)
        // `http.request.line` holds the header lines (none in this request); method, URI and version make the
        // request line.
        #expect(decrypted.output.split(separator: "\n").map { $0.split(separator: "\t").joined(separator: " ") }
                == ["GET / HTTP/1.0"], "tshark printed: \(decrypted.output)")
        #expect(plain.status == 0)
        #expect(plain.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                "without the DSB tshark still decrypted: \(plain.output)")
        // Decrypted handshake: EncryptedExtensions (8), Certificate (11), CertificateVerify (15), Finished (20).
        let types = Set(count.output.split(whereSeparator: { $0 == "\n" || $0 == "," }).map(String.init))
        #expect(types.isSuperset(of: ["1", "2", "8", "11", "15", "20"]), "handshake types seen: \(types.sorted())")
        // Timestamps survive to the nanosecond (or microsecond).
        let epochs = times.output.split(separator: "\n").map(String.init)
        #expect(epochs.count == connection.packets.count)
        for (text, packet) in zip(epochs, connection.packets) {
            let parts = text.split(separator: ".")
            let expected = connection.nanosecondTimestamps
                ? packet.timestampNanoseconds : packet.timestampNanoseconds / 1000 * 1000
            let fraction = String(expected % 1_000_000_000)
            let expectedText = "\(expected / 1_000_000_000)." + String(repeating: "0", count: 9 - fraction.count) + fraction
            let seen = parts.count == 2
                ? "\(parts[0])." + parts[1].padding(toLength: 9, withPad: "0", startingAt: 0) : text
            #expect(seen == expectedText)
        }
    }
}
