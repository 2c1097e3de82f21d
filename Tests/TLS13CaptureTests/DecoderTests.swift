import Testing
import TLS13Capture

/// The frame decoder on hand-made frames: every link type, IPv4 and IPv6, options, and a table of malformed frames
/// that must come back as issues, never as a crash.
@Suite struct DecoderTests {
    typealias F = FrameBuilder

    static let synOptions: [UInt8] = [2, 4, 0xFF, 0xD7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]

    @Test func wellFormedSynWithEveryOption() throws {
        let frame = F.ethernet(F.ipv4(F.tcp(seq: 0xFFFF_FFF0, flags: 0xC2, options: Self.synOptions)))
        let (segment, issue) = TCPSegment.decode(frame: frame, linkType: .ethernet)
        #expect(issue == nil)
        let s = try #require(segment)
        #expect(s.source.description == "127.0.0.1:40000")
        #expect(s.destination.description == "127.0.0.2:4433")
        #expect(s.sequenceNumber == 0xFFFF_FFF0)
        #expect(s.flags == [.syn, .ece, .cwr])
        #expect(s.flags.description == "SYN,ECE,CWR")
        #expect(s.window == 65535)
        #expect(s.headerLength == 40)
        #expect(s.options == [
            .maximumSegmentSize(65495), .sackPermitted, .timestamps(value: 1, echoReply: 0), .noOperation,
            .windowScale(7),
        ])
        #expect(s.options.map(\.name) == ["MSS", "SACK_PERM", "TS", "NOP", "WS"])
        #expect(s.options.map(\.description) == ["mss 65495", "sackOK", "TS val 1 ecr 0", "nop", "wscale 7"])
        #expect(s.maximumSegmentSize == 65495 && s.windowScale == 7 && s.isSACKPermitted)
        #expect(s.timestamps?.value == 1)
        #expect(s.payloadLength == 0 && s.payload.isEmpty && s.sequenceLength == 1)
        #expect(s.hopLimit == 64)
    }

    @Test func sackBlocksUnknownKindsAndEndOfList() throws {
        // NOP NOP SACK(2 blocks) | kind 30 len 4 | EOL then garbage (padding is not parsed).
        let options: [UInt8] = [1, 1, 5, 18] + F.be32(100) + F.be32(200) + F.be32(300) + F.be32(400)
            + [30, 4, 0xAB, 0xCD] + [0, 0xEE, 0xEE, 0xEE]
        let frame = F.ethernet(F.ipv4(F.tcp(flags: 0x10, options: options) + Array("hello".utf8)))
        let (segment, issue) = TCPSegment.decode(frame: frame, linkType: .ethernet)
        #expect(issue == nil)
        let s = try #require(segment)
        #expect(s.options == [
            .noOperation, .noOperation,
            .sack([SACKBlock(left: 100, right: 200), SACKBlock(left: 300, right: 400)]),
            .unknown(kind: 30, data: [0xAB, 0xCD]), .endOfOptionList,
        ])
        #expect(s.sackBlocks?.count == 2)
        #expect(s.payload == Array("hello".utf8) && s.payloadLength == 5)
    }

    @Test func everyLinkTypeAndIPv6() throws {
        let tcp = F.tcp(flags: 0x18) + [0x16, 0x03, 0x01]
        let v4 = F.ipv4(tcp)
        let v6 = F.ipv6(tcp)
        let vlan = [UInt8](repeating: 0, count: 12) + [0x81, 0x00, 0x00, 0x05] + [0x08, 0x00] + v4
        let cases: [(LinkType, [UInt8], Bool)] = [
            (.ethernet, F.ethernet(v4), false), (.ethernet, F.ethernet(v6, etherType: 0x86DD), true),
            (.ethernet, vlan, false),
            (.linuxSLL, F.sll(v4), false), (.linuxSLL, F.sll(v6, protocolType: 0x86DD), true),
            (.linuxSLL2, F.sll2(v4), false), (.linuxSLL2, F.sll2(v6, protocolType: 0x86DD), true),
            (.raw, v4, false), (.raw, v6, true), (.ipv4, v4, false), (.ipv6, v6, true),
            (.null, [2, 0, 0, 0] + v4, false), (.loop, [0, 0, 0, 24] + v6, true),
        ]
        for (link, frame, isV6) in cases {
            let (segment, issue) = TCPSegment.decode(frame: frame, linkType: link)
            #expect(issue == nil, "\(link)")
            let s = try #require(segment, "\(link)")
            #expect(s.source.address.isIPv6 == isV6)
            #expect(s.payload == [0x16, 0x03, 0x01], "\(link)")
            #expect(s.flags == [.psh, .ack])
            if isV6 { #expect(s.source.description == "[::1]:40000") }
        }
        #expect(LinkType(dlt: 12) == .raw && LinkType(dlt: 1) == .ethernet && LinkType(dlt: 113) == .linuxSLL)
        #expect(LinkType(dlt: 276) == .linuxSLL2 && LinkType(dlt: 147) == nil)
    }

    @Test func ipv6ExtensionHeadersAreSkipped() throws {
        // Hop-by-hop (8 bytes) then destination options (16 bytes) then TCP.
        let hopByHop: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0]
        let destination: [UInt8] = [6, 1] + [UInt8](repeating: 1, count: 14)
        let frame = F.ipv6(hopByHop + destination + F.tcp(flags: 0x10) + [9, 9], nextHeader: 0)
        let (segment, issue) = TCPSegment.decode(frame: frame, linkType: .raw)
        #expect(issue == nil)
        #expect(segment?.payload == [9, 9])
        // An atomic fragment header (offset 0, M clear) is skipped too.
        let atomic = F.ipv6([6, 0, 0, 0, 0, 0, 0, 1] + F.tcp(flags: 0x10), nextHeader: 44)
        #expect(TCPSegment.decode(frame: atomic, linkType: .raw).issue == nil)
    }

    @Test func ethernetPaddingAndZeroTotalLength() throws {
        // A 54-byte frame padded to 60 by Ethernet: the IP total length bounds the payload.
        let padded = F.ethernet(F.ipv4(F.tcp(flags: 0x10))) + [0, 0, 0, 0, 0, 0]
        let (segment, issue) = TCPSegment.decode(frame: padded, linkType: .ethernet)
        #expect(issue == nil)
        #expect(segment?.payloadLength == 0)
        // Total length 0 (segmentation offload): the frame's end bounds the payload.
        let offload = F.ethernet(F.ipv4(F.tcp(flags: 0x10) + [1, 2, 3], totalLength: 0))
        #expect(TCPSegment.decode(frame: offload, linkType: .ethernet).segment?.payload == [1, 2, 3])
    }

    /// Malformed frames: (name, link type, frame, expected issue, whether a segment still decodes).
    static let malformed: [(String, LinkType, [UInt8], DecodeIssue, Bool)] = {
        let tcp = F.tcp(flags: 0x10)
        let v4 = F.ipv4(tcp)
        return [
            ("empty Ethernet", .ethernet, [], .truncated(header: "Ethernet"), false),
            ("13-byte Ethernet", .ethernet, [UInt8](repeating: 0, count: 13), .truncated(header: "Ethernet"), false),
            ("ARP", .ethernet, F.ethernet([0, 1, 8, 0], etherType: 0x0806), .notIP(etherType: 0x0806), false),
            ("VLAN tag cut", .ethernet, [UInt8](repeating: 0, count: 12) + [0x81, 0x00, 0, 5],
             .truncated(header: "Ethernet"), false),
            ("endless VLAN tags", .ethernet,
             [UInt8](repeating: 0, count: 12) + [0x81, 0x00]
                + Array([[UInt8]](repeating: [0x00, 0x05, 0x81, 0x00], count: 6).joined()) + F.ipv4(F.tcp()),
             .notIP(etherType: 0x8100), false),
            ("10 bytes of IPv4", .ethernet, F.ethernet(Array(v4.prefix(10))), .truncated(header: "IPv4"), false),
            ("IPv4 IHL 3", .raw, F.ipv4(tcp, ihl: 3), .badIPHeader("header length 12"), false),
            ("IPv4 IHL 15 cut", .raw, Array(F.ipv4(tcp, ihl: 15).prefix(40)), .truncated(header: "IPv4"), false),
            ("IPv4 total length below header", .raw, F.ipv4(tcp, totalLength: 12),
             .badIPHeader("total length 12 below the header's 20"), false),
            ("IPv6 in an IPv4 EtherType", .ethernet, F.ethernet(F.ipv6(tcp)),
             .badIPHeader("version 6 in an IPv4 frame"), false),
            ("UDP", .raw, F.ipv4([0, 53, 0, 53, 0, 8, 0, 0], protocolNumber: 17), .notTCP(protocolNumber: 17), false),
            ("IPv4 first fragment (MF)", .raw, F.ipv4(tcp, fragment: 0x2000), .fragment, false),
            ("IPv4 later fragment", .raw, F.ipv4(tcp, fragment: 0x0010), .fragment, false),
            ("TCP header cut at 10", .raw, F.ipv4(Array(tcp.prefix(10))), .truncated(header: "TCP"), false),
            ("TCP data offset 4", .raw, F.ipv4(F.tcp(flags: 0x10, dataOffset: 4)), .badDataOffset(16), false),
            ("TCP data offset past the datagram", .raw, F.ipv4(F.tcp(flags: 0x10, dataOffset: 15)),
             .badDataOffset(60), false),
            ("TCP options cut by the frame", .raw,
             Array(F.ipv4(F.tcp(flags: 0x10, options: [UInt8](repeating: 1, count: 40))).prefix(50)),
             .truncated(header: "TCP"), false),
            ("raw version 5", .raw, [0x50] + [UInt8](repeating: 0, count: 39), .badIPHeader("version 5"), false),
            ("raw empty", .raw, [], .truncated(header: "IP"), false),
            ("SLL cut", .linuxSLL, [UInt8](repeating: 0, count: 10), .truncated(header: "Linux cooked"), false),
            ("SLL2 cut", .linuxSLL2, [0x08, 0x00, 0, 0], .truncated(header: "Linux cooked v2"), false),
            ("loopback cut", .null, [2, 0], .truncated(header: "loopback"), false),
            ("unsupported link type", LinkType(rawValue: 147), v4, .unsupportedLinkType(LinkType(rawValue: 147)),
             false),
            ("IPv6 cut", .raw, Array(F.ipv6(tcp).prefix(30)), .truncated(header: "IPv6"), false),
            ("IPv6 extension cut", .raw, F.ipv6([6], nextHeader: 0), .truncated(header: "IPv6 extension"), false),
            ("IPv6 extension past the payload", .raw, F.ipv6([6, 200] + tcp, nextHeader: 0),
             .badIPHeader("extension headers past the payload"), false),
            ("IPv6 fragment", .raw, F.ipv6([6, 0, 0, 0x09, 0, 0, 0, 1] + tcp, nextHeader: 44), .fragment, false),
            ("IPv6 extension loop", .raw, F.ipv6(Array([[UInt8]](repeating: [0, 0, 0, 0, 0, 0, 0, 0], count: 12).joined()), nextHeader: 0),
             .badIPHeader("too many IPv6 extension headers"), false),
            ("IPv6 UDP", .raw, F.ipv6([0, 53, 0, 53, 0, 8, 0, 0], nextHeader: 17), .notTCP(protocolNumber: 17), false),
            // Options: the segment decodes, the bad option is flagged.
            ("option length 0", .raw, F.ipv4(F.tcp(flags: 0x10, options: [2, 0, 0, 0])), .malformedOptions, true),
            ("option length 1", .raw, F.ipv4(F.tcp(flags: 0x10, options: [8, 1, 0, 0])), .malformedOptions, true),
            ("option past the header", .raw, F.ipv4(F.tcp(flags: 0x10, options: [2, 40, 0, 0])), .malformedOptions,
             true),
            ("kind without length byte", .raw, F.ipv4(F.tcp(flags: 0x10, options: [1, 1, 1, 2])), .malformedOptions,
             true),
            ("MSS of length 5", .raw, F.ipv4(F.tcp(flags: 0x10, options: [2, 5, 1, 2, 3, 1, 3, 3, 7])),
             .malformedOptions, true),
            ("SACK of length 11", .raw, F.ipv4(F.tcp(flags: 0x10, options: [5, 11] + [UInt8](repeating: 0, count: 9))),
             .malformedOptions, true),
            ("timestamps of length 6", .raw, F.ipv4(F.tcp(flags: 0x10, options: [8, 6, 0, 0, 0, 1])),
             .malformedOptions, true),
            ("payload cut by the snap length", .raw, Array(F.ipv4(F.tcp(flags: 0x18) + [UInt8](repeating: 7, count: 100)).prefix(70)),
             .truncatedPayload(captured: 30, announced: 100), true),
        ]
    }()

    @Test func malformedFramesAreFlaggedNotFatal() {
        for (name, link, frame, expected, decodes) in Self.malformed {
            let (segment, issue) = TCPSegment.decode(frame: frame, linkType: link)
            #expect(issue == expected, "\(name): got \(String(describing: issue))")
            #expect((segment != nil) == decodes, "\(name)")
            #expect(expected.segmentDecoded == decodes, "\(name)")
            // The packet wrapper agrees.
            let packet = CapturedPacket(timestampNanoseconds: 1, linkType: link, frame: frame)
            #expect(packet.issue == expected && (packet.tcp != nil) == decodes, "\(name)")
            #expect(!expected.description.isEmpty)
        }
    }

    @Test func badOptionsKeepWhatCanBeRead() throws {
        // MSS with a wrong but self-consistent length: flagged, and the options after it are still read.
        let frame = F.ipv4(F.tcp(flags: 0x02, options: [2, 5, 1, 2, 3, 1, 3, 3, 7]))
        let s = try #require(TCPSegment.decode(frame: frame, linkType: .raw).segment)
        #expect(s.options == [.malformed(kind: 2, bytes: [2, 5, 1, 2, 3]), .noOperation, .windowScale(7),
                              .endOfOptionList])
        // A length past the header: the rest of the option space is kept and decoding stops.
        let past = F.ipv4(F.tcp(flags: 0x02, options: [1, 2, 40, 0]))
        let t = try #require(TCPSegment.decode(frame: past, linkType: .raw).segment)
        #expect(t.options == [.noOperation, .malformed(kind: 2, bytes: [2, 40, 0])])
    }

    /// Every prefix of real-looking frames, and many mutations of them, decode without trapping.
    @Test func prefixesAndMutationsNeverTrap() {
        let frames: [(LinkType, [UInt8])] = [
            (.ethernet, F.ethernet(F.ipv4(F.tcp(options: Self.synOptions) + [1, 2, 3, 4, 5]))),
            (.linuxSLL, F.sll(F.ipv6(F.tcp(flags: 0x10, options: [5, 10, 0, 0, 0, 1, 0, 0, 0, 2]) + [1, 2]),
                              protocolType: 0x86DD)),
            (.linuxSLL2, F.sll2(F.ipv4(F.tcp(flags: 0x11, options: [8, 10, 1, 2, 3, 4, 5, 6, 7, 8])))),
            (.raw, F.ipv6([60, 0, 0, 0, 0, 0, 0, 0] + F.tcp(options: Self.synOptions), nextHeader: 0)),
        ]
        var rng = SplitMix64(seed: 0x7153_1301)
        var decoded = 0
        for (link, frame) in frames {
            for length in 0...frame.count {
                if TCPSegment.decode(frame: Array(frame.prefix(length)), linkType: link).segment != nil { decoded += 1 }
            }
            for _ in 0..<3000 {
                var mutated = frame
                for _ in 0..<Int(rng.next() % 4 + 1) {
                    let index = Int(rng.next() % UInt64(mutated.count))
                    mutated[index] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.next() % 4 == 0 { mutated = Array(mutated.prefix(Int(rng.next() % UInt64(mutated.count + 1)))) }
                var packets = [CapturedPacket(timestampNanoseconds: 0, linkType: link, frame: mutated)]
                TCPStreamTracker.annotate(&packets)
                if packets[0].tcp != nil { decoded += 1 }
            }
        }
        #expect(decoded > 1000)  // the mutations are not all rejected at the first byte
    }
}

/// A small deterministic generator for the mutation test.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
