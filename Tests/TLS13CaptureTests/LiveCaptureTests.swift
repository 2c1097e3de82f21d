import Foundation
import Glibc
import Testing
import TLS13Capture
import TLS13TestSupport

/// Real captures on loopback (root in CI). Serialized: the permission test sets `TLS13_CAPTURE_DENY` in this
/// process's environment, which no other capture may see.
@Suite(.serialized) struct LiveCaptureTests {
    @Test(.enabled(if: LiveConnection.capturePermitted, "capturing needs CAP_NET_RAW"))
    func tls13ConnectionOnLoopback() async throws {
        let connection = try await LiveConnection.run()
        try Self.checkConnection(connection, serverAddress: IPAddress("127.0.0.1"))
        #expect(connection.linkType == .ethernet)  // Linux lo: Ethernet with zero MACs
        #expect(connection.packets.allSatisfy { Array($0.frame.prefix(12)) == [UInt8](repeating: 0, count: 12) })
    }

    @Test(.enabled(if: LiveConnection.capturePermitted, "capturing needs CAP_NET_RAW"))
    func tls13ConnectionOverIPv6() async throws {
        let connection = try await LiveConnection.run(ipv6: true)
        try Self.checkConnection(connection, serverAddress: IPAddress("::1"))
        #expect(connection.segments.allSatisfy { $0.source.address.isIPv6 })
    }

    @Test(.enabled(if: LiveConnection.capturePermitted, "capturing needs CAP_NET_RAW"))
    func tls13ConnectionOnAnyInterface() async throws {
        // The `any` pseudo-interface delivers Linux cooked headers.
        let connection = try await LiveConnection.run(interface: "any")
        #expect(connection.linkType == .linuxSLL || connection.linkType == .linuxSLL2)
        try Self.checkConnection(connection, serverAddress: IPAddress("127.0.0.1"))
    }

    @Test(.enabled(if: LiveConnection.capturePermitted, "capturing needs CAP_NET_RAW"))
    func smallSnapLengthFlagsTruncatedPayloads() async throws {
        let connection = try await LiveConnection.run(snapLength: 96)
        // Handshake segments still decode (headers fit in 96 bytes); the big ones are flagged as cut.
        let synCount = connection.segments.filter { $0.flags.contains(.syn) }.count
        #expect(synCount == 2)
        let cut = connection.packets.filter {
            if case .truncatedPayload = $0.issue { return true }
            return false
        }
        #expect(!cut.isEmpty)
        for packet in cut {
            #expect(packet.frame.count == 96)
            #expect(packet.originalLength > 96)
            let tcp = try #require(packet.tcp)
            #expect(tcp.payloadIsTruncated)
            #expect(tcp.payload.count < tcp.payloadLength)
        }
        // Stream positions come from the headers, so they are right even when payloads are cut.
        let fromServer = connection.packets.filter { $0.position?.role == .server && $0.tcp?.payloadLength ?? 0 > 0 }
        // (A tail loss probe may resend a segment on a loaded machine: it repeats earlier bytes, marked as such.)
        var expected = 0
        for packet in fromServer {
            let position = try #require(packet.position)
            let length = packet.tcp?.payloadLength ?? 0
            if position.isRetransmission {
                #expect(position.sequenceOffset + length <= expected)
            } else {
                #expect(position.sequenceOffset == expected)
                expected += length
            }
        }
    }

    @Test func denySwitchForcesPermissionDenied() throws {
        setenv(PacketCapture.denyEnvironmentVariable, "1", 1)
        defer { unsetenv(PacketCapture.denyEnvironmentVariable) }
        var caught: CaptureError?
        do {
            _ = try PacketCapture.start(interface: "lo", filter: "tcp")
        } catch {
            caught = error
        }
        let error = try #require(caught)
        #expect(error.isPermissionDenied)
        #expect(error.description.contains("CAP_NET_RAW"))
        #expect(error.description.contains("setcap cap_net_raw+ep"))
        #expect(!error.description.contains("\n"))
        #expect(PacketCapture.checkPermission(interface: "lo")?.isPermissionDenied == true)
        // "0" and empty turn the switch off.
        setenv(PacketCapture.denyEnvironmentVariable, "0", 1)
        if getuid() == 0 {
            #expect(PacketCapture.checkPermission(interface: "lo") == nil)
        }
    }

    /// The real refusal, not the switch: this test binary runs again under `setpriv` with `CAP_NET_RAW` dropped from
    /// its bounding and inheritable sets (so not even root has it after `execve`), and there only
    /// ``privilegeProbeChild()`` runs, which expects libpcap's refusal as ``CaptureError/permissionDenied(_:)``.
    @Test(.enabled(if: getuid() == 0, "dropping a capability with setpriv needs root"))
    func droppingCapNetRawGivesPermissionDenied() async throws {
        let setpriv = try #require(["/usr/bin/setpriv", "/bin/setpriv"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }, "setpriv (util-linux) is missing")
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let (status, output) = try await runBlocking { () -> (Int32, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: setpriv)
            process.arguments = ["--bounding-set=-net_raw", "--inh-caps=-net_raw", "--", me,
                                 "--testing-library", "swift-testing", "--filter", "privilegeProbeChild"]
            var environment = ProcessInfo.processInfo.environment
            environment[Self.childVariable] = "1"
            environment[PacketCapture.denyEnvironmentVariable] = nil
            environment["NO_COLOR"] = "1"
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        #expect(status == 0, "the child run failed:\n\(output)")
        #expect(output.contains("Test privilegeProbeChild() passed"), "the child test did not run:\n\(output)")
    }

    static let childVariable = "TLS13_CAPTURE_PROBE_CHILD"

    /// Runs only in the child of ``droppingCapNetRawGivesPermissionDenied()``.
    @Test(.enabled(if: getenv(LiveCaptureTests.childVariable) != nil, "runs only under setpriv, started by its parent"))
    func privilegeProbeChild() throws {
        #expect(getenv(PacketCapture.denyEnvironmentVariable) == nil)
        let refused = try #require(PacketCapture.checkPermission(interface: "lo"))
        #expect(refused.isPermissionDenied, "\(refused)")
        #expect(!refused.description.contains(PacketCapture.denyEnvironmentVariable))  // libpcap's reason, not the switch
        #expect(refused.description.contains("CAP_NET_RAW"))
        #expect(throws: CaptureError.self) { _ = try PacketCapture.start(interface: "lo", filter: "tcp") }
    }

    @Test(.enabled(if: LiveConnection.capturePermitted, "capturing needs CAP_NET_RAW"))
    func openErrorsAreNamed() throws {
        #expect(throws: CaptureError.noSuchInterface("tls13nosuch0")) {
            _ = try PacketCapture.start(interface: "tls13nosuch0", filter: "tcp")
        }
        do {
            _ = try PacketCapture.start(interface: "lo", filter: "tcp and port banana")
            Issue.record("a bad filter was accepted")
        } catch {
            guard case .badFilter(let filter, let reason) = error else {
                Issue.record("expected badFilter, got \(error)")
                return
            }
            #expect(filter == "tcp and port banana")
            #expect(!reason.isEmpty)
        }
        #expect(throws: CaptureError.self) { _ = try PacketCapture.start(interface: "lo", filter: "tcp", snapLength: 10) }
    }

    @Test(.enabled(if: LiveConnection.capturePermitted, "capturing needs CAP_NET_RAW"))
    func stopIsIdempotentAndAnEmptyCaptureIsEmpty() async throws {
        try await runBlocking {
            // Port 9 (discard) on loopback: nothing talks there.
            let capture = try PacketCapture.start(interface: "lo", filter: "tcp and port 9")
            let first = capture.stop(linger: .milliseconds(20))
            let second = capture.stop()
            #expect(first.isEmpty)
            #expect(second.isEmpty)
            #expect(capture.failure == nil)
            #expect(capture.statistics != nil)
        }
    }

    /// The assertions every captured connection must pass: handshake, options, payload, teardown, positions.
    static func checkConnection(_ connection: CapturedConnection, serverAddress: IPAddress?) throws {
        #expect(connection.clientOutput.contains("HTTP/1.0 200 ok"), "s_client: \(connection.clientOutput)")
        let packets = connection.packets
        #expect(packets.allSatisfy { $0.issue == nil }, "\(packets.compactMap(\.issue))")
        let segments = connection.segments
        try #require(segments.count >= 10, "captured \(packets.count) packets")
        let server = try #require(serverAddress)

        // Timestamps: in order, and now-ish (the last hour).
        let times = packets.map(\.timestampNanoseconds)
        #expect(times == times.sorted())
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        #expect(times.allSatisfy { $0 <= now + 1_000_000_000 && $0 + 3_600_000_000_000 > now })

        // The three-way handshake.
        let syn = segments[0], synAck = segments[1], ack = segments[2]
        #expect(syn.flags == [.syn])
        #expect(syn.destination == TCPEndpoint(address: server, port: connection.serverPort))
        #expect(synAck.flags == [.syn, .ack])
        #expect(synAck.source == syn.destination && synAck.destination == syn.source)
        #expect(synAck.acknowledgmentNumber == syn.sequenceNumber &+ 1)
        #expect(ack.flags == [.ack])
        #expect(ack.source == syn.source)
        #expect(ack.sequenceNumber == syn.sequenceNumber &+ 1)
        #expect(ack.acknowledgmentNumber == synAck.sequenceNumber &+ 1)
        #expect(ack.payloadLength == 0)
        // Linux loopback options: MSS (65495 for IPv4's MTU 65536, 65475 for IPv6), SACK permitted, timestamps,
        // window scale, on both SYNs; the SYN-ACK echoes the SYN's timestamp.
        for s in [syn, synAck] {
            let mss = try #require(s.maximumSegmentSize)
            #expect(mss == (server.isIPv6 ? 65476 : 65495) || (1000...65535).contains(mss))
            #expect(s.isSACKPermitted)
            #expect(s.windowScale != nil)
            #expect(s.timestamps != nil)
            #expect(s.headerLength == 40)
        }
        #expect(syn.timestamps?.echoReply == 0)
        #expect(synAck.timestamps?.echoReply == syn.timestamps?.value)
        #expect(ack.timestamps?.echoReply == synAck.timestamps?.value)
        #expect(ack.maximumSegmentSize == nil)

        // Stream positions.
        #expect(packets[0].position == StreamPosition(role: .client, sequenceOffset: -1, acknowledgedOffset: nil,
                                                      payloadLength: 0))
        #expect(packets[1].position == StreamPosition(role: .server, sequenceOffset: -1, acknowledgedOffset: 0,
                                                      payloadLength: 0))
        #expect(packets[2].position == StreamPosition(role: .client, sequenceOffset: 0, acknowledgedOffset: 0,
                                                      payloadLength: 0))
        #expect(packets.allSatisfy { $0.position != nil })

        // Payload: each direction's segments tile its stream from offset 0 with no gap, and the streams start with
        // TLS records: the ClientHello (handshake, legacy version 0x0301) and the ServerHello (0x0303). Loopback
        // loses nothing, but on a loaded machine a tail loss probe can resend a flight's last segment before the
        // delayed ACK comes: such a segment repeats bytes already seen, exactly, and is marked a retransmission.
        for role in [TCPRole.client, .server] {
            var expected = 0
            var stream: [UInt8] = []
            for packet in packets where packet.position?.role == role {
                let tcp = try #require(packet.tcp)
                guard tcp.payloadLength > 0, let position = packet.position else { continue }
                #expect(!tcp.payloadIsTruncated)
                #expect(position.payloadRange == position.sequenceOffset..<(position.sequenceOffset + tcp.payloadLength))
                if position.sequenceOffset == expected {
                    #expect(!position.isRetransmission)
                    stream += tcp.payload
                    expected += tcp.payloadLength
                } else {
                    // Earlier bytes again: the same bytes, and only those.
                    try #require(position.sequenceOffset < expected, "a gap before \(position.sequenceOffset)")
                    #expect(position.isRetransmission && position.payloadRange.upperBound <= expected)
                    #expect(Array(stream[position.payloadRange.clamped(to: 0..<expected)]) == tcp.payload)
                }
            }
            try #require(stream.count > 5)
            #expect(stream[0] == 0x16)  // handshake record
            #expect(stream[1...2] == (role == .client ? [0x03, 0x01] : [0x03, 0x03]))
            // Every record header in the stream is sound, and the segments that carried each record are found.
            var offset = 0
            var records = 0
            while offset + 5 <= stream.count {
                let type = stream[offset]
                #expect([0x14, 0x15, 0x16, 0x17].contains(type), "record type \(type) at \(offset)")
                let length = Int(stream[offset + 3]) << 8 | Int(stream[offset + 4])
                let carriers = packets.segments(carrying: offset..<(offset + 5 + length), from: role)
                #expect(!carriers.isEmpty)
                #expect(carriers.allSatisfy { $0.tcp?.source == (role == .client ? syn.source : synAck.source) })
                offset += 5 + length
                records += 1
            }
            #expect(offset == stream.count, "the \(role) stream ends on a record boundary")
            #expect(records >= 2)
            // The FIN sits at the stream's end.
            let fin = try #require(packets.first { $0.position?.role == role && $0.tcp?.flags.contains(.fin) == true })
            #expect(fin.position?.sequenceOffset == stream.count)
        }
        // Some segment of each direction has PSH.
        #expect(segments.contains { $0.source == syn.source && $0.flags.contains(.psh) })
        #expect(segments.contains { $0.source == synAck.source && $0.flags.contains(.psh) })

        // Teardown: a FIN each way, each acknowledged (ack = FIN's seq + 1); nothing after the last ACK; no RST.
        #expect(!segments.contains { $0.flags.contains(.rst) })
        // A FIN retransmitted under load (the same sequence number from the same side) is the same FIN.
        let allFins = segments.filter { $0.flags.contains(.fin) }
        let fins = allFins.enumerated().filter { index, fin in
            !allFins[..<index].contains { $0.source == fin.source && $0.sequenceNumber == fin.sequenceNumber }
        }.map(\.element)
        #expect(fins.count == 2)
        #expect(Set(fins.map(\.source)) == [syn.source, synAck.source])
        for fin in fins {
            #expect(fin.flags.contains(.ack))
            #expect(segments.contains {
                $0.source == fin.destination && $0.flags.contains(.ack)
                    && $0.acknowledgmentNumber == fin.sequenceNumber &+ 1
            }, "the FIN from \(fin.source) is acknowledged")
        }
        let last = try #require(segments.last)
        #expect(last.flags == [.ack] || last.flags == [.fin, .ack])
        #expect(last.payloadLength == 0)
    }
}
