/// Bounds-checked big-endian reads from a frame: every read returns `nil` past the end, never traps.
struct FrameBytes {
    let bytes: [UInt8]

    var count: Int { bytes.count }

    func u8(_ at: Int) -> UInt8? {
        at >= 0 && at < bytes.count ? bytes[at] : nil
    }

    func u16(_ at: Int) -> UInt16? {
        guard let hi = u8(at), let lo = u8(at + 1) else { return nil }
        return UInt16(hi) << 8 | UInt16(lo)
    }

    func u32(_ at: Int) -> UInt32? {
        guard let hi = u16(at), let lo = u16(at + 2) else { return nil }
        return UInt32(hi) << 16 | UInt32(lo)
    }

    /// `count` bytes from `at`, or `nil` when they are not all there.
    func slice(_ at: Int, _ count: Int) -> [UInt8]? {
        guard at >= 0, count >= 0, at <= bytes.count, count <= bytes.count - at else { return nil }
        return Array(bytes[at..<(at + count)])
    }

    /// The bytes from `at` to `end` (clamped to the frame), possibly empty.
    func clamped(_ at: Int, to end: Int) -> [UInt8] {
        let lower = min(max(at, 0), bytes.count)
        let upper = min(max(end, lower), bytes.count)
        return Array(bytes[lower..<upper])
    }
}

extension TCPSegment {
    /// Decodes the TCP segment in one captured frame: link layer (by `linkType`), IPv4 or IPv6 (with IPv4 options,
    /// IPv6 extension headers and 802.1Q tags skipped), then the TCP header, its options and the payload.
    ///
    /// Every read is bounds-checked: a truncated or malformed frame yields an issue, never a trap.
    /// - Returns: the segment (or `nil` when the frame holds none) and what was wrong, if anything. A segment with an
    ///   issue is one whose options were malformed or whose payload the snap length cut (``DecodeIssue/segmentDecoded``).
    public static func decode(frame: [UInt8], linkType: LinkType) -> (segment: TCPSegment?, issue: DecodeIssue?) {
        let bytes = FrameBytes(bytes: frame)
        // 1. The link layer: where the IP header starts, and which IP (nil: look at the version nibble).
        var ipStart = 0
        var etherType: UInt16?
        switch linkType {
        case .ethernet:
            guard var type = bytes.u16(12) else { return (nil, .truncated(header: "Ethernet")) }
            ipStart = 14
            var tags = 0
            while type == 0x8100 || type == 0x88a8 || type == 0x9100 {  // 802.1Q / 802.1ad tags
                guard tags < 4 else { return (nil, .notIP(etherType: type)) }  // more tags than any real network
                guard let inner = bytes.u16(ipStart + 2) else { return (nil, .truncated(header: "Ethernet")) }
                type = inner
                ipStart += 4
                tags += 1
            }
            etherType = type
        case .linuxSLL:
            guard let type = bytes.u16(14) else { return (nil, .truncated(header: "Linux cooked")) }
            etherType = type
            ipStart = 16
        case .linuxSLL2:
            guard let type = bytes.u16(0), bytes.count >= 20 else { return (nil, .truncated(header: "Linux cooked v2")) }
            etherType = type
            ipStart = 20
        case .null, .loop:
            guard bytes.count >= 4 else { return (nil, .truncated(header: "loopback")) }
            ipStart = 4  // the address family's values differ between systems: the IP version nibble decides
        case .raw, .ipv4, .ipv6:
            ipStart = 0
        default:
            return (nil, .unsupportedLinkType(linkType))
        }
        var version: UInt8
        switch etherType {
        case .some(0x0800): version = 4
        case .some(0x86DD): version = 6
        case .some(let other): return (nil, .notIP(etherType: other))
        case .none:
            guard let first = bytes.u8(ipStart) else { return (nil, .truncated(header: "IP")) }
            version = first >> 4
            guard version == 4 || version == 6 else { return (nil, .badIPHeader("version \(version)")) }
        }

        // 2. The IP layer: addresses, where TCP starts and where the datagram ends.
        let sourceAddress: IPAddress
        let destinationAddress: IPAddress
        var tcpStart: Int
        var datagramEnd: Int
        var hopLimit: UInt8
        if version == 4 {
            guard let first = bytes.u8(ipStart), let totalLength = bytes.u16(ipStart + 2),
                  let fragment = bytes.u16(ipStart + 6), let ttl = bytes.u8(ipStart + 8),
                  let proto = bytes.u8(ipStart + 9),
                  let src = bytes.slice(ipStart + 12, 4), let dst = bytes.slice(ipStart + 16, 4),
                  let s = IPAddress(bytes: src), let d = IPAddress(bytes: dst)
            else { return (nil, .truncated(header: "IPv4")) }
            guard first >> 4 == 4 else { return (nil, .badIPHeader("version \(first >> 4) in an IPv4 frame")) }
            let headerLength = Int(first & 0x0F) * 4
            guard headerLength >= 20 else { return (nil, .badIPHeader("header length \(headerLength)")) }
            guard bytes.count >= ipStart + headerLength else { return (nil, .truncated(header: "IPv4")) }
            // A total length of 0 is what segmentation offload leaves in locally captured large segments: take the
            // frame's length then.
            if totalLength != 0 && Int(totalLength) < headerLength {
                return (nil, .badIPHeader("total length \(totalLength) below the header's \(headerLength)"))
            }
            guard fragment & 0x3FFF == 0 else { return (nil, .fragment) }  // MF set or a non-zero offset
            guard proto == 6 else { return (nil, .notTCP(protocolNumber: proto)) }
            sourceAddress = s
            destinationAddress = d
            tcpStart = ipStart + headerLength
            datagramEnd = totalLength == 0 ? bytes.count : ipStart + Int(totalLength)
            hopLimit = ttl
        } else {
            guard let first = bytes.u8(ipStart), let payloadLength = bytes.u16(ipStart + 4),
                  var next = bytes.u8(ipStart + 6), let hops = bytes.u8(ipStart + 7),
                  let src = bytes.slice(ipStart + 8, 16), let dst = bytes.slice(ipStart + 24, 16),
                  let s = IPAddress(bytes: src), let d = IPAddress(bytes: dst)
            else { return (nil, .truncated(header: "IPv6")) }
            guard first >> 4 == 6 else { return (nil, .badIPHeader("version \(first >> 4) in an IPv6 frame")) }
            sourceAddress = s
            destinationAddress = d
            hopLimit = hops
            datagramEnd = payloadLength == 0 ? bytes.count : ipStart + 40 + Int(payloadLength)
            tcpStart = ipStart + 40
            var headers = 0
            while next != 6 {
                headers += 1
                guard headers <= 8 else { return (nil, .badIPHeader("too many IPv6 extension headers")) }
                switch next {
                case 0, 43, 60:  // hop-by-hop, routing, destination options: (length + 1) × 8 bytes
                    guard let following = bytes.u8(tcpStart), let length = bytes.u8(tcpStart + 1)
                    else { return (nil, .truncated(header: "IPv6 extension")) }
                    next = following
                    tcpStart += (Int(length) + 1) * 8
                case 44:  // fragment header, 8 bytes
                    guard let following = bytes.u8(tcpStart), let offsetAndFlags = bytes.u16(tcpStart + 2)
                    else { return (nil, .truncated(header: "IPv6 extension")) }
                    guard offsetAndFlags & 0xFFF9 == 0 else { return (nil, .fragment) }  // offset or M set
                    next = following
                    tcpStart += 8
                case 51:  // authentication header: (length + 2) × 4 bytes
                    guard let following = bytes.u8(tcpStart), let length = bytes.u8(tcpStart + 1)
                    else { return (nil, .truncated(header: "IPv6 extension")) }
                    next = following
                    tcpStart += (Int(length) + 2) * 4
                default:
                    return (nil, .notTCP(protocolNumber: next))
                }
            }
            guard tcpStart <= datagramEnd else { return (nil, .badIPHeader("extension headers past the payload")) }
        }

        // 3. The TCP header.
        guard let sourcePort = bytes.u16(tcpStart), let destinationPort = bytes.u16(tcpStart + 2),
              let sequence = bytes.u32(tcpStart + 4), let acknowledgment = bytes.u32(tcpStart + 8),
              let offsetByte = bytes.u8(tcpStart + 12), let flagByte = bytes.u8(tcpStart + 13),
              let window = bytes.u16(tcpStart + 14), let checksum = bytes.u16(tcpStart + 16),
              let urgent = bytes.u16(tcpStart + 18)
        else { return (nil, .truncated(header: "TCP")) }
        let headerLength = Int(offsetByte >> 4) * 4
        guard headerLength >= 20, tcpStart + headerLength <= datagramEnd else {
            return (nil, .badDataOffset(headerLength))
        }
        guard tcpStart + headerLength <= bytes.count else { return (nil, .truncated(header: "TCP")) }
        let flags = TCPFlags(rawValue: UInt16(flagByte) | (UInt16(offsetByte & 0x01) << 8))
        let (options, optionsMalformed) = decodeOptions(bytes, from: tcpStart + 20, to: tcpStart + headerLength)

        let payloadStart = tcpStart + headerLength
        let payloadLength = datagramEnd - payloadStart
        let payload = bytes.clamped(payloadStart, to: datagramEnd)
        let segment = TCPSegment(
            source: TCPEndpoint(address: sourceAddress, port: sourcePort),
            destination: TCPEndpoint(address: destinationAddress, port: destinationPort),
            sequenceNumber: sequence, acknowledgmentNumber: acknowledgment, flags: flags, window: window,
            checksum: checksum, urgentPointer: urgent, headerLength: headerLength, options: options,
            payloadLength: payloadLength, payload: payload, hopLimit: hopLimit)
        if optionsMalformed { return (segment, .malformedOptions) }
        if payload.count < payloadLength {
            return (segment, .truncatedPayload(captured: payload.count, announced: payloadLength))
        }
        return (segment, nil)
    }

    /// The options between `start` and `end` (both inside the frame). Returns them and whether one was malformed.
    static func decodeOptions(_ bytes: FrameBytes, from start: Int, to end: Int) -> ([TCPOption], Bool) {
        var options: [TCPOption] = []
        var malformed = false
        var at = start
        while at < end, let kind = bytes.u8(at) {
            if kind == 0 {
                options.append(.endOfOptionList)
                break
            }
            if kind == 1 {
                options.append(.noOperation)
                at += 1
                continue
            }
            guard at + 1 < end, let lengthByte = bytes.u8(at + 1), lengthByte >= 2, at + Int(lengthByte) <= end else {
                // The length cannot be trusted: keep the rest of the option space and stop.
                options.append(.malformed(kind: kind, bytes: bytes.clamped(at, to: end)))
                malformed = true
                break
            }
            let length = Int(lengthByte)
            let body = bytes.clamped(at + 2, to: at + length)
            let body4 = FrameBytes(bytes: body)
            var option: TCPOption?
            switch kind {
            case 2: if length == 4, let mss = body4.u16(0) { option = .maximumSegmentSize(mss) }
            case 3: if length == 3, let shift = body4.u8(0) { option = .windowScale(shift) }
            case 4: if length == 2 { option = .sackPermitted }
            case 5:
                if length >= 10, (length - 2) % 8 == 0 {
                    var blocks: [SACKBlock] = []
                    var b = 0
                    while let left = body4.u32(b), let right = body4.u32(b + 4) {
                        blocks.append(SACKBlock(left: left, right: right))
                        b += 8
                    }
                    option = .sack(blocks)
                }
            case 8:
                if length == 10, let value = body4.u32(0), let echo = body4.u32(4) {
                    option = .timestamps(value: value, echoReply: echo)
                }
            default:
                option = .unknown(kind: kind, data: body)
            }
            if let option {
                options.append(option)
            } else {
                // A known kind with the wrong length: flagged, and decoding goes on after it (its length is sound).
                options.append(.malformed(kind: kind, bytes: bytes.clamped(at, to: at + length)))
                malformed = true
            }
            at += length
        }
        return (options, malformed)
    }
}
