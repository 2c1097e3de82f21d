/// Which end of a TCP connection sent a segment: the client sent the first SYN, the server answered with SYN-ACK.
public enum TCPRole: String, Hashable, Sendable {
    case client
    case server
}

/// Where a segment sits in its connection, from the handshake's initial sequence numbers (ISNs).
///
/// Offsets count bytes of one direction's stream from the ISN + 1 (the first byte after the SYN is offset 0), so a
/// TLS record at stream offset *n* was carried by the segments whose ``payloadRange`` contains *n*. They are
/// unwrapped past 2³² (a connection longer than 4 GiB keeps counting up).
public struct StreamPosition: Hashable, Sendable {
    /// The sender's role.
    public var role: TCPRole
    /// The offset of the first payload byte in the sender's stream: `seq − (ISN + 1)`. The SYN itself is at −1;
    /// a FIN sits at the stream's total length.
    public var sequenceOffset: Int
    /// For a segment with ACK: how many bytes of the peer's stream it acknowledges, `ack − (peer ISN + 1)` (the
    /// SYN-ACK acknowledges the client's SYN: 0; after a FIN, the total plus one). `nil` without ACK or while the
    /// peer's ISN is unknown.
    public var acknowledgedOffset: Int?
    /// The stream bytes the payload occupies (empty for a segment without payload).
    public var payloadRange: Range<Int>
    /// Whether every payload byte was already carried by an earlier segment of the capture: a retransmission (on
    /// loopback too: a tail loss probe resends a flight's last segment when the receiver's delayed ACK is late).
    public var isRetransmission: Bool

    /// A position; ``payloadRange`` is `sequenceOffset ..< sequenceOffset + payloadLength`.
    public init(role: TCPRole, sequenceOffset: Int, acknowledgedOffset: Int?, payloadLength: Int,
                isRetransmission: Bool = false) {
        self.role = role
        self.sequenceOffset = sequenceOffset
        self.acknowledgedOffset = acknowledgedOffset
        self.payloadRange = sequenceOffset..<(sequenceOffset + max(payloadLength, 0))
        self.isRetransmission = isRetransmission
    }
}

/// One captured frame, as libpcap delivered it, with its TCP segment decoded.
public struct CapturedPacket: Sendable {
    /// When the kernel saw the frame, in nanoseconds since 1970-01-01 UTC (from the pcap header; microsecond
    /// resolution when the capture could not have nanoseconds: see ``PacketCapture/nanosecondTimestamps``).
    public var timestampNanoseconds: UInt64
    /// The frame's link-layer header type (what the pcapng Interface Description Block records).
    public var linkType: LinkType
    /// The bytes captured (at most the snap length).
    public var frame: [UInt8]
    /// The frame's length on the wire (more than `frame.count` when the snap length cut it).
    public var originalLength: Int
    /// The decoded segment, or `nil` when the frame holds none (see ``issue``).
    public var tcp: TCPSegment?
    /// What kept the frame from decoding, or what was wrong with a segment that did decode.
    public var issue: DecodeIssue?
    /// The segment's place in its connection (set by ``TCPStreamTracker``; `nil` when no SYN of the connection
    /// was seen, or the frame is not TCP).
    public var position: StreamPosition?

    /// Decodes `frame` (``TCPSegment/decode(frame:linkType:)``); ``position`` stays `nil` until a
    /// ``TCPStreamTracker`` sets it.
    public init(timestampNanoseconds: UInt64, linkType: LinkType, frame: [UInt8], originalLength: Int? = nil) {
        self.timestampNanoseconds = timestampNanoseconds
        self.linkType = linkType
        self.frame = frame
        self.originalLength = max(originalLength ?? frame.count, frame.count)
        let decoded = TCPSegment.decode(frame: frame, linkType: linkType)
        self.tcp = decoded.segment
        self.issue = decoded.issue
        self.position = nil
    }

    /// Decodes each frame and sets the stream positions of the whole list, in order (what ``PacketCapture/stop(linger:)``
    /// does with what it captured).
    public static func decodeAll(_ frames: [(timestampNanoseconds: UInt64, frame: [UInt8], originalLength: Int)],
                                 linkType: LinkType) -> [CapturedPacket] {
        var packets = frames.map {
            CapturedPacket(timestampNanoseconds: $0.timestampNanoseconds, linkType: linkType, frame: $0.frame,
                           originalLength: $0.originalLength)
        }
        TCPStreamTracker.annotate(&packets)
        return packets
    }
}

extension Array where Element == CapturedPacket {
    /// The packets of one direction whose payload holds any byte of `range` of that direction's stream (the
    /// segments that carried a TLS record at those offsets; retransmissions included).
    public func segments(carrying range: Range<Int>, from role: TCPRole) -> [CapturedPacket] {
        filter { packet in
            guard let position = packet.position, position.role == role else { return false }
            return position.payloadRange.overlaps(range)
        }
    }
}

/// Follows TCP connections through a list of segments and works out each one's ``StreamPosition``.
///
/// Connections are told apart by their address/port pair. A SYN without ACK names the client and its ISN; the
/// SYN-ACK names the server and its ISN (and the client's, as `ack − 1`, when the SYN was missed). A new SYN with
/// another ISN on the same pair starts a new connection (port reuse).
public struct TCPStreamTracker: Sendable {
    private struct Direction: Sendable {
        var isn: UInt32
        var last: Int  // the latest unwrapped offset, the reference for unwrapping the next one
        var end = 0  // one past the highest payload byte seen so far
    }

    private struct Connection: Sendable {
        var client: TCPEndpoint
        var fromClient: Direction?
        var fromServer: Direction?
    }

    private struct Key: Hashable, Sendable {
        var low: TCPEndpoint
        var high: TCPEndpoint
        init(_ a: TCPEndpoint, _ b: TCPEndpoint) {
            if a < b { low = a; high = b } else { low = b; high = a }
        }
    }

    private var connections: [Key: Connection] = [:]

    /// A tracker that knows no connection yet.
    public init() {}

    /// Sets ``CapturedPacket/position`` on every packet of `packets`, in order.
    public static func annotate(_ packets: inout [CapturedPacket]) {
        var tracker = TCPStreamTracker()
        for index in packets.indices {
            if let segment = packets[index].tcp {
                packets[index].position = tracker.observe(segment)
            }
        }
    }

    /// Takes the next segment (in capture order) and returns its position, or `nil` while its connection's
    /// handshake has not been seen.
    public mutating func observe(_ segment: TCPSegment) -> StreamPosition? {
        let key = Key(segment.source, segment.destination)
        let flags = segment.flags
        if flags.contains(.syn) && !flags.contains(.ack) {
            // The client's SYN: a new connection unless it is a retransmission of the one we know.
            if let known = connections[key], known.client == segment.source,
               known.fromClient?.isn == segment.sequenceNumber {
                // retransmitted SYN
            } else {
                connections[key] = Connection(
                    client: segment.source, fromClient: Direction(isn: segment.sequenceNumber, last: -1),
                    fromServer: nil)
            }
        } else if flags.contains(.syn) && flags.contains(.ack) {
            var connection = connections[key]
                ?? Connection(client: segment.destination, fromClient: nil, fromServer: nil)
            if connection.client == segment.destination {
                if connection.fromServer?.isn != segment.sequenceNumber {
                    connection.fromServer = Direction(isn: segment.sequenceNumber, last: -1)
                }
                if connection.fromClient == nil {
                    connection.fromClient = Direction(isn: segment.acknowledgmentNumber &- 1, last: -1)
                }
                connections[key] = connection
            }
        }
        guard var connection = connections[key] else { return nil }
        let role: TCPRole = segment.source == connection.client ? .client : .server
        guard var mine = role == .client ? connection.fromClient : connection.fromServer else { return nil }
        let sequenceOffset = Self.unwrap(segment.sequenceNumber, isn: mine.isn, near: mine.last)
        mine.last = max(mine.last, sequenceOffset)
        let payloadEnd = sequenceOffset + segment.payloadLength
        let isRetransmission = segment.payloadLength > 0 && payloadEnd <= mine.end
        mine.end = max(mine.end, payloadEnd)
        var acknowledged: Int?
        let peer = role == .client ? connection.fromServer : connection.fromClient
        if flags.contains(.ack), let peer {
            acknowledged = Self.unwrap(segment.acknowledgmentNumber, isn: peer.isn, near: peer.last)
        }
        if role == .client { connection.fromClient = mine } else { connection.fromServer = mine }
        connections[key] = connection
        return StreamPosition(role: role, sequenceOffset: sequenceOffset, acknowledgedOffset: acknowledged,
                              payloadLength: segment.payloadLength, isRetransmission: isRetransmission)
    }

    /// `value − (isn + 1)` as the 64-bit offset nearest to `near` (so wrap-around past 2³² keeps counting).
    static func unwrap(_ value: UInt32, isn: UInt32, near: Int) -> Int {
        let relative = value &- isn &- 1  // mod 2^32
        let delta = Int32(bitPattern: relative &- UInt32(truncatingIfNeeded: near))
        return near + Int(delta)
    }
}
