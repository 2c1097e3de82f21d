import Testing
import TLS13Capture

/// Stream positions from synthetic segments: offsets from the ISNs, wrap-around, missed SYNs, port reuse.
@Suite struct StreamTrackerTests {
    static let client = TCPEndpoint(address: IPAddress("10.0.0.1")!, port: 50000)
    static let server = TCPEndpoint(address: IPAddress("10.0.0.2")!, port: 443)

    static func segment(_ from: TCPEndpoint, _ to: TCPEndpoint, seq: UInt32, ack: UInt32 = 0, flags: TCPFlags,
                        length: Int = 0) -> TCPSegment {
        TCPSegment(source: from, destination: to, sequenceNumber: seq, acknowledgmentNumber: ack, flags: flags,
                   window: 100, payloadLength: length, payload: [UInt8](repeating: 0, count: length))
    }

    @Test func offsetsUnwrapPastTheTopOfTheSequenceSpace() throws {
        let c = Self.client, s = Self.server
        let clientISN: UInt32 = 0xFFFF_FF00  // 255 bytes before the wrap
        let serverISN: UInt32 = 7
        var tracker = TCPStreamTracker()
        let syn = tracker.observe(Self.segment(c, s, seq: clientISN, flags: .syn))
        let synAck = tracker.observe(Self.segment(s, c, seq: serverISN, ack: clientISN &+ 1, flags: [.syn, .ack]))
        let ack = tracker.observe(Self.segment(c, s, seq: clientISN &+ 1, ack: serverISN + 1, flags: .ack))
        #expect(syn == StreamPosition(role: .client, sequenceOffset: -1, acknowledgedOffset: nil, payloadLength: 0))
        #expect(synAck == StreamPosition(role: .server, sequenceOffset: -1, acknowledgedOffset: 0, payloadLength: 0))
        #expect(ack == StreamPosition(role: .client, sequenceOffset: 0, acknowledgedOffset: 0, payloadLength: 0))
        // 3 × 200 bytes from the client: the second crosses 2^32, the third is past it.
        var offsets: [Int] = []
        for i in 0..<3 {
            let seq = clientISN &+ 1 &+ UInt32(i * 200)
            let observed = tracker.observe(Self.segment(c, s, seq: seq, ack: serverISN + 1, flags: [.psh, .ack],
                                                        length: 200))
            let p = try #require(observed)
            offsets.append(p.sequenceOffset)
            #expect(p.payloadRange == p.sequenceOffset..<(p.sequenceOffset + 200))
            #expect(!p.isRetransmission)
        }
        #expect(offsets == [0, 200, 400])
        // The server acknowledges all 600 bytes, an ack number that wrapped.
        let serverAck = tracker.observe(Self.segment(s, c, seq: serverISN + 1, ack: clientISN &+ 601, flags: .ack))
        #expect(serverAck?.acknowledgedOffset == 600)
        // A retransmission of the first data segment maps back to offset 0.
        let retransmit = tracker.observe(Self.segment(c, s, seq: clientISN &+ 1, ack: serverISN + 1, flags: .ack,
                                                      length: 200))
        #expect(retransmit?.sequenceOffset == 0)
        #expect(retransmit?.isRetransmission == true)
        // One that overlaps the end and carries new bytes is not a retransmission.
        let overlapping = tracker.observe(Self.segment(c, s, seq: clientISN &+ 501, ack: serverISN + 1, flags: .ack,
                                                       length: 200))
        #expect(overlapping?.isRetransmission == false)
        // FIN at the stream's end; its ACK acknowledges one more.
        let fin = tracker.observe(Self.segment(c, s, seq: clientISN &+ 701, ack: serverISN + 1, flags: [.fin, .ack]))
        #expect(fin?.sequenceOffset == 700)
        #expect(fin?.isRetransmission == false)
        let finAck = tracker.observe(Self.segment(s, c, seq: serverISN + 1, ack: clientISN &+ 702, flags: .ack))
        #expect(finAck?.acknowledgedOffset == 701)
    }

    @Test func withoutTheSYNTheSYNACKIsEnoughAndMidstreamIsUnknown() {
        var tracker = TCPStreamTracker()
        let c = Self.client, s = Self.server
        // Mid-stream: nothing known.
        #expect(tracker.observe(Self.segment(c, s, seq: 5, ack: 9, flags: .ack, length: 10)) == nil)
        // The SYN-ACK gives both ISNs (the client's as ack − 1).
        let synAck = tracker.observe(Self.segment(s, c, seq: 1000, ack: 501, flags: [.syn, .ack]))
        #expect(synAck?.role == .server)
        let data = tracker.observe(Self.segment(c, s, seq: 511, ack: 1001, flags: .ack, length: 5))
        #expect(data?.role == .client && data?.sequenceOffset == 10 && data?.acknowledgedOffset == 0)
    }

    @Test func aNewSYNOnTheSamePortsStartsANewConnection() {
        var tracker = TCPStreamTracker()
        let c = Self.client, s = Self.server
        _ = tracker.observe(Self.segment(c, s, seq: 100, flags: .syn))
        _ = tracker.observe(Self.segment(c, s, seq: 100, flags: .syn))  // retransmitted SYN: same connection
        _ = tracker.observe(Self.segment(s, c, seq: 900, ack: 101, flags: [.syn, .ack]))
        #expect(tracker.observe(Self.segment(c, s, seq: 151, ack: 901, flags: .ack))?.sequenceOffset == 50)
        // Port reuse: a SYN with another ISN. The server's old ISN is forgotten until its new SYN-ACK.
        #expect(tracker.observe(Self.segment(c, s, seq: 7000, flags: .syn))?.sequenceOffset == -1)
        #expect(tracker.observe(Self.segment(s, c, seq: 950, ack: 7001, flags: .ack)) == nil)
        _ = tracker.observe(Self.segment(s, c, seq: 3000, ack: 7001, flags: [.syn, .ack]))
        #expect(tracker.observe(Self.segment(s, c, seq: 3001, ack: 7001, flags: .ack))?.sequenceOffset == 0)
    }

    @Test func twoConnectionsAreKeptApart() {
        var tracker = TCPStreamTracker()
        let c2 = TCPEndpoint(address: Self.client.address, port: 50001)
        _ = tracker.observe(Self.segment(Self.client, Self.server, seq: 10, flags: .syn))
        _ = tracker.observe(Self.segment(c2, Self.server, seq: 90_000, flags: .syn))
        #expect(tracker.observe(Self.segment(Self.client, Self.server, seq: 21, flags: .ack))?.sequenceOffset == 10)
        #expect(tracker.observe(Self.segment(c2, Self.server, seq: 90_031, flags: .ack))?.sequenceOffset == 30)
    }

    @Test func segmentsCarryingARange() {
        func packet(_ role: TCPRole, _ offset: Int, _ length: Int) -> CapturedPacket {
            var p = CapturedPacket(timestampNanoseconds: 0, linkType: .raw, frame: [])
            p.position = StreamPosition(role: role, sequenceOffset: offset, acknowledgedOffset: nil,
                                        payloadLength: length)
            return p
        }
        let packets = [packet(.client, 0, 100), packet(.server, 0, 1000), packet(.client, 100, 50),
                       packet(.client, 150, 0)]
        #expect(packets.segments(carrying: 90..<120, from: .client).map { $0.position?.sequenceOffset } == [0, 100])
        #expect(packets.segments(carrying: 100..<101, from: .client).count == 1)
        #expect(packets.segments(carrying: 0..<5, from: .server).count == 1)
        #expect(packets.segments(carrying: 150..<160, from: .client).isEmpty)
    }

    @Test func addressesAndErrors() {
        #expect(IPAddress("127.0.0.1")?.isLoopback == true && IPAddress("::1")?.isLoopback == true)
        #expect(IPAddress("10.1.2.3")?.isLoopback == false && IPAddress("not an address") == nil)
        #expect(IPAddress("2001:db8::5")?.description == "2001:db8::5")
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(PacketCapture.defaultInterface(toReach: IPAddress("127.0.0.1")!) == "lo")
        #expect(PacketCapture.defaultInterface(toReach: IPAddress("192.0.2.1")!) == "any")
        #expect(PacketCapture.filter(host: IPAddress("::1")!, port: 4433) == "tcp and host ::1 and port 4433")
        let errors: [CaptureError] = [
            .permissionDenied("x"), .noSuchInterface("eth9"), .interfaceDown("eth9"), .badFilter(filter: "f", reason: "r"),
            .unsupportedLinkType(147), .invalidArgument("a"), .pcapFailure("p"), .fileError(path: "/x", reason: "r"),
        ]
        for error in errors {
            #expect(!error.description.isEmpty && !error.description.contains("\n"))
            #expect(error.isPermissionDenied == (error == .permissionDenied("x")))
        }
    }
}
