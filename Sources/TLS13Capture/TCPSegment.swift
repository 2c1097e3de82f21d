/// The control bits of a TCP header (RFC 9293 §3.1; ECE and CWR from RFC 3168, AE from RFC 9768).
public struct TCPFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The flags as the 9 low bits of the header's offset/flags field (AE is 0x100).
    public let rawValue: UInt16
    /// Flags from their bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x001)
    public static let syn = TCPFlags(rawValue: 0x002)
    public static let rst = TCPFlags(rawValue: 0x004)
    public static let psh = TCPFlags(rawValue: 0x008)
    public static let ack = TCPFlags(rawValue: 0x010)
    public static let urg = TCPFlags(rawValue: 0x020)
    public static let ece = TCPFlags(rawValue: 0x040)
    public static let cwr = TCPFlags(rawValue: 0x080)
    /// The bit before CWR: AE (accurate ECN), formerly NS.
    public static let ae = TCPFlags(rawValue: 0x100)

    private static let names: [(TCPFlags, String)] = [
        (.syn, "SYN"), (.fin, "FIN"), (.rst, "RST"), (.psh, "PSH"), (.ack, "ACK"), (.urg, "URG"), (.ece, "ECE"),
        (.cwr, "CWR"), (.ae, "AE"),
    ]

    /// The set bits by name, in the order tcpdump users expect: `SYN,ACK`, `PSH,ACK`, `FIN,ACK`; `none` when empty.
    public var description: String {
        let set = Self.names.filter { contains($0.0) }.map(\.1)
        return set.isEmpty ? "none" : set.joined(separator: ",")
    }
}

/// One SACK block (RFC 2018): the sequence numbers of the first byte received and of the byte after the last.
public struct SACKBlock: Hashable, Sendable {
    /// The sequence number of the block's first byte.
    public var left: UInt32
    /// The sequence number just past the block's last byte.
    public var right: UInt32
    /// A block from its edges.
    public init(left: UInt32, right: UInt32) {
        self.left = left
        self.right = right
    }
}

/// A TCP header option, decoded.
public enum TCPOption: Hashable, Sendable, CustomStringConvertible {
    /// Kind 0: end of the option list (what follows is padding).
    case endOfOptionList
    /// Kind 1: padding between options.
    case noOperation
    /// Kind 2: the largest segment the sender will receive (SYN only).
    case maximumSegmentSize(UInt16)
    /// Kind 3: the shift count applied to the sender's window fields after the SYN (RFC 7323).
    case windowScale(UInt8)
    /// Kind 4: the sender accepts SACK (SYN only, RFC 2018).
    case sackPermitted
    /// Kind 5: selectively acknowledged blocks (RFC 2018).
    case sack([SACKBlock])
    /// Kind 8: timestamps (RFC 7323): the sender's clock value and the echo of the peer's latest.
    case timestamps(value: UInt32, echoReply: UInt32)
    /// Any other kind, well formed (length byte consistent): the kind and the bytes after the length byte.
    case unknown(kind: UInt8, data: [UInt8])
    /// An option whose length is impossible (below 2, past the header's end, or wrong for its kind): its kind and
    /// the bytes from its kind byte to the end of the option (or of the header, when the length could not be
    /// trusted; decoding stops there).
    case malformed(kind: UInt8, bytes: [UInt8])

    /// The option's short name as Wireshark writes it: `EOL`, `NOP`, `MSS`, `WS`, `SACK_PERM`, `SACK`, `TS`;
    /// `opt-N` for another kind, `malformed-N` for a malformed one.
    public var name: String {
        switch self {
        case .endOfOptionList: return "EOL"
        case .noOperation: return "NOP"
        case .maximumSegmentSize: return "MSS"
        case .windowScale: return "WS"
        case .sackPermitted: return "SACK_PERM"
        case .sack: return "SACK"
        case .timestamps: return "TS"
        case .unknown(let kind, _): return "opt-\(kind)"
        case .malformed(let kind, _): return "malformed-\(kind)"
        }
    }

    /// tcpdump's style: `mss 65495`, `sackOK`, `TS val 1 ecr 0`, `nop`, `wscale 7`.
    public var description: String {
        switch self {
        case .endOfOptionList: return "eol"
        case .noOperation: return "nop"
        case .maximumSegmentSize(let mss): return "mss \(mss)"
        case .windowScale(let shift): return "wscale \(shift)"
        case .sackPermitted: return "sackOK"
        case .sack(let blocks): return "sack \(blocks.count) " + blocks.map { "{\($0.left):\($0.right)}" }.joined()
        case .timestamps(let value, let echo): return "TS val \(value) ecr \(echo)"
        case .unknown(let kind, let data): return "opt-\(kind) len \(data.count + 2)"
        case .malformed(let kind, let bytes): return "malformed opt-\(kind) (\(bytes.count) bytes)"
        }
    }
}

/// A TCP segment decoded from a captured frame: the IP addresses, the TCP header with its options, and the payload.
public struct TCPSegment: Hashable, Sendable {
    /// The sender's address and port.
    public var source: TCPEndpoint
    /// The receiver's address and port.
    public var destination: TCPEndpoint
    /// The sequence number of the first payload byte (of the SYN, on a SYN).
    public var sequenceNumber: UInt32
    /// The next sequence number the sender expects from its peer. Meaningful when ``flags`` contains `.ack`.
    public var acknowledgmentNumber: UInt32
    public var flags: TCPFlags
    /// The raw window field (not scaled by the window scale option).
    public var window: UInt16
    /// The checksum field as sent (not verified: loopback and offloaded segments carry partial checksums).
    public var checksum: UInt16
    /// The urgent pointer field (meaningful with URG).
    public var urgentPointer: UInt16
    /// The header length in bytes (the data offset field × 4): 20 to 60.
    public var headerLength: Int
    /// The options in header order (NOPs and the EOL included, so a caller sees the layout).
    public var options: [TCPOption]
    /// The payload length the IP header announces (what the segment carried on the wire).
    public var payloadLength: Int
    /// The payload bytes captured: all ``payloadLength`` of them unless the snap length cut the frame
    /// (then ``payloadIsTruncated``).
    public var payload: [UInt8]
    /// The IP time to live (IPv4) or hop limit (IPv6).
    public var hopLimit: UInt8

    /// A segment from its fields (tests and callers that build segments; captures use ``decode(frame:linkType:)``).
    public init(source: TCPEndpoint, destination: TCPEndpoint, sequenceNumber: UInt32, acknowledgmentNumber: UInt32,
                flags: TCPFlags, window: UInt16, checksum: UInt16 = 0, urgentPointer: UInt16 = 0,
                headerLength: Int = 20, options: [TCPOption] = [], payloadLength: Int, payload: [UInt8],
                hopLimit: UInt8 = 64) {
        self.source = source
        self.destination = destination
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.window = window
        self.checksum = checksum
        self.urgentPointer = urgentPointer
        self.headerLength = headerLength
        self.options = options
        self.payloadLength = payloadLength
        self.payload = payload
        self.hopLimit = hopLimit
    }

    /// Whether the snap length cut the payload (fewer bytes captured than ``payloadLength``).
    public var payloadIsTruncated: Bool { payload.count < payloadLength }

    /// The sequence space the segment occupies: its payload, plus one for SYN and one for FIN.
    public var sequenceLength: Int {
        payloadLength + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }

    /// The MSS option's value, if present.
    public var maximumSegmentSize: UInt16? {
        for case .maximumSegmentSize(let mss) in options { return mss }
        return nil
    }

    /// The window scale option's shift count, if present.
    public var windowScale: UInt8? {
        for case .windowScale(let shift) in options { return shift }
        return nil
    }

    /// Whether the SACK-permitted option is present.
    public var isSACKPermitted: Bool { options.contains(.sackPermitted) }

    /// The timestamps option, if present.
    public var timestamps: (value: UInt32, echoReply: UInt32)? {
        for case .timestamps(let value, let echo) in options { return (value, echo) }
        return nil
    }

    /// The SACK blocks, if a SACK option is present.
    public var sackBlocks: [SACKBlock]? {
        for case .sack(let blocks) in options { return blocks }
        return nil
    }
}

/// Why a captured frame did not decode to a TCP segment, or what was wrong with one that did.
///
/// ``malformedOptions`` and ``truncatedPayload(captured:announced:)`` come with a segment (the header is sound);
/// every other case means no segment.
public enum DecodeIssue: Hashable, Sendable, CustomStringConvertible {
    /// The frame ends inside the named header (`Ethernet`, `Linux cooked`, `IPv4`, `IPv6`, `IPv6 extension`, `TCP`).
    case truncated(header: String)
    /// The frame's link type is not one the decoder reads.
    case unsupportedLinkType(LinkType)
    /// The link layer carries something other than IPv4 or IPv6 (the EtherType or protocol number).
    case notIP(etherType: UInt16)
    /// The IP header is inconsistent (wrong version, header length below the minimum, total length below the header).
    case badIPHeader(String)
    /// A fragment of a fragmented IP datagram (not reassembled).
    case fragment
    /// The IP datagram carries another protocol (its number).
    case notTCP(protocolNumber: UInt8)
    /// The TCP data offset is below 5 words or beyond the IP payload.
    case badDataOffset(Int)
    /// An option's length was impossible; see ``TCPOption/malformed(kind:bytes:)``. The segment is decoded.
    case malformedOptions
    /// The snap length cut the payload; the segment is decoded with the bytes captured.
    case truncatedPayload(captured: Int, announced: Int)

    public var description: String {
        switch self {
        case .truncated(let header): return "frame ends inside the \(header) header"
        case .unsupportedLinkType(let link): return "unsupported link type \(link)"
        case .notIP(let type): return "not IP (type 0x\(String(type, radix: 16)))"
        case .badIPHeader(let why): return "bad IP header: \(why)"
        case .fragment: return "IP fragment (not reassembled)"
        case .notTCP(let proto): return "not TCP (IP protocol \(proto))"
        case .badDataOffset(let offset): return "bad TCP data offset \(offset)"
        case .malformedOptions: return "malformed TCP options"
        case .truncatedPayload(let captured, let announced): return "payload cut at \(captured) of \(announced) bytes"
        }
    }

    /// Whether the frame still decoded to a segment.
    public var segmentDecoded: Bool {
        switch self {
        case .malformedOptions, .truncatedPayload: return true
        default: return false
        }
    }
}
