import TLS13
import TLS13Capture

#if canImport(Glibc)
import Glibc
#endif

/// The packets of `tls13 trace --packets`: the connection's own segments, captured with libpcap (TLS13Capture) on
/// the interface that reaches the server, placed on the timeline and tied to the TLS records they carried.
struct TracePackets {
    /// The capture, while it runs; `nil` when it could not start (`status` says why).
    let capture: PacketCapture?
    /// `packets`, `not-requested`, `not-permitted` or `failed`.
    var status: String
    var detail: String?
    var interface: String?

    /// Starts capturing before the connection is made (so the SYN is in it), when asked (`requested`) or, when
    /// `automatic`, whenever this process may capture. A capture that cannot start is never an error: the trace
    /// falls back to the kernel's TCP_INFO and says so.
    static func start(endpoint: Endpoint, requested: Bool, automatic: Bool) -> TracePackets {
        guard requested || automatic else { return TracePackets(capture: nil, status: "not-requested") }
        let interface: String
        let filter: String
        if let address = IPAddress(String(endpoint.host.prefix { $0 != "%" })) {
            interface = PacketCapture.defaultInterface(toReach: address)
            filter = PacketCapture.filter(host: address, port: endpoint.port)
        } else {
            // A name: every interface, this port (the 4-tuple picks our connection out afterwards).
            interface = "any"
            filter = "tcp and port \(endpoint.port)"
        }
        do {
            let capture = try PacketCapture.start(interface: interface, filter: filter)
            return TracePackets(capture: capture, status: "packets", interface: interface)
        } catch {
            return TracePackets(
                capture: nil, status: error.isPermissionDenied ? "not-permitted" : "failed", detail: error.description,
                interface: interface)
        }
    }

    /// Stops the capture (after a short linger for the last FIN's ACK) and returns this connection's packets.
    func finish(localAddress: String?) -> [CapturedPacket] {
        guard let capture else { return [] }
        let packets = capture.stop(linger: .milliseconds(250))
        guard let local = localAddress else { return packets }
        // Only our 4-tuple: another connection to the same port (a parallel client) is not ours.
        return packets.filter { packet in
            guard let tcp = packet.tcp else { return false }
            return tcp.source.description == local || tcp.destination.description == local
        }
    }

    /// The packets as `tcp.segment` entries; `originWallNanoseconds` is the wall-clock time of the trace's time 0.
    static func entries(_ packets: [CapturedPacket], originWallNanoseconds: Int64) -> [TraceEntry] {
        packets.compactMap { packet -> TraceEntry? in
            guard let tcp = packet.tcp else { return nil }
            let role = packet.position?.role
            let direction: TraceEntry.Direction = role == .server ? .s2c : .c2s
            let t = Double(Int64(packet.timestampNanoseconds) - originWallNanoseconds) / 1e6
            var flags = tcp.flags.description.split(separator: ",").map { String($0.filter { $0 != " " }) }
            if flags.isEmpty { flags = ["none"] }
            var fields: [(String, JSONValue)] = [
                ("flags", .array(flags.map { .string($0) })),
                ("seq", .integer(Int64((packet.position?.sequenceOffset ?? -1) + 1))),
                ("ack", .integer(Int64((packet.position?.acknowledgedOffset ?? -1) + 1))),
                ("window", .integer(Int64(tcp.window))),
                ("length", .integer(Int64(tcp.payloadLength))),
            ]
            let options = tcp.options.compactMap(option)
            if !options.isEmpty { fields.append(("options", .array(options))) }
            let retransmission = packet.position?.isRetransmission == true
            if retransmission { fields.append(("retransmission", .bool(true))) }
            var entry = TraceEntry(
                t: max(0, t), lane: .tcp, direction: direction, kind: "tcp.segment",
                title: flags.joined(separator: ", ") + (tcp.payloadLength > 0 ? " \(tcp.payloadLength) B" : "")
                    + (retransmission ? " (retransmission)" : ""),
                detail: tcp.options.filter { $0 != .noOperation }.map(\.description).joined(separator: ", "),
                bytes: packet.originalLength, fields: fields)
            if let position = packet.position, tcp.payloadLength > 0 { entry.streamRange = position.payloadRange }
            if entry.detail?.isEmpty == true { entry.detail = nil }
            return entry
        }
    }

    private static func option(_ o: TCPOption) -> JSONValue? {
        switch o {
        case .noOperation, .endOfOptionList: return nil
        case .maximumSegmentSize(let mss): return .object([("kind", .string("MSS")), ("value", .integer(Int64(mss)))])
        case .windowScale(let shift): return .object([("kind", .string("WS")), ("shift", .integer(Int64(shift)))])
        case .sackPermitted: return .object([("kind", .string("SACK_PERM"))])
        case .sack(let blocks): return .object([("kind", .string("SACK")), ("blocks", .integer(Int64(blocks.count)))])
        case .timestamps(let value, let echo):
            return .object([("kind", .string("TS")), ("tsval", .integer(Int64(value))), ("tsecr", .integer(Int64(echo)))])
        case .unknown(let kind, let data), .malformed(let kind, let data):
            return .object([("kind", .string(o.name)), ("code", .integer(Int64(kind))), ("length", .integer(Int64(data.count)))])
        }
    }

    /// The wall clock now, in nanoseconds since 1970.
    static func wallNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

extension TraceDocument {
    /// Merges `packets` into the entries by time, then tells each segment which records it carried (by their stream
    /// offsets) by `seq`.
    mutating func merge(packets: [TraceEntry]) {
        guard !packets.isEmpty else { return }
        entries = (entries + packets).enumerated().sorted { a, b in
            a.element.t != b.element.t ? a.element.t < b.element.t : a.offset < b.offset
        }.map(\.element)
        for index in entries.indices where entries[index].kind == "tcp.segment" {
            guard let range = entries[index].streamRange else { continue }
            let direction = entries[index].direction
            var carried: [JSONValue] = []
            for (seq, entry) in entries.enumerated()
            where (entry.kind == "tls.record" || entry.kind == "app.data") && entry.direction == direction {
                guard case .integer(let offset)? = entry.field("streamOffset"), let wire = entry.bytes else { continue }
                let record = Int(offset)..<Int(offset) + wire
                if record.overlaps(range) { carried.append(.integer(Int64(seq))) }
            }
            if !carried.isEmpty { entries[index].fields.append(("records", .array(carried))) }
        }
    }
}
