/// The link-layer header type of captured frames, as a pcapng `LINKTYPE_` value (what an Interface Description
/// Block records; <https://www.tcpdump.org/linktypes.html>).
///
/// libpcap reports `DLT_` values, which equal the `LINKTYPE_` value except for a few historical ones
/// (`DLT_RAW` is 12 or 14 depending on the platform, `LINKTYPE_RAW` is 101); ``init(dlt:)`` maps them.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The `LINKTYPE_` number.
    public let rawValue: UInt16

    /// A link type from its `LINKTYPE_` number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// BSD loopback: a 4-byte address family in the capturing host's byte order (`LINKTYPE_NULL`, 0).
    public static let null = LinkType(rawValue: 0)
    /// Ethernet (`LINKTYPE_ETHERNET`, 1). Linux `lo` uses it, with zero MAC addresses.
    public static let ethernet = LinkType(rawValue: 1)
    /// Raw IPv4 or IPv6, told apart by the version nibble (`LINKTYPE_RAW`, 101).
    public static let raw = LinkType(rawValue: 101)
    /// OpenBSD loopback: a 4-byte address family in network byte order (`LINKTYPE_LOOP`, 108).
    public static let loop = LinkType(rawValue: 108)
    /// Linux "cooked" capture v1, a 16-byte header (`LINKTYPE_LINUX_SLL`, 113): the `any` interface.
    public static let linuxSLL = LinkType(rawValue: 113)
    /// Raw IPv4 (`LINKTYPE_IPV4`, 228).
    public static let ipv4 = LinkType(rawValue: 228)
    /// Raw IPv6 (`LINKTYPE_IPV6`, 229).
    public static let ipv6 = LinkType(rawValue: 229)
    /// Linux "cooked" capture v2, a 20-byte header (`LINKTYPE_LINUX_SLL2`, 276).
    public static let linuxSLL2 = LinkType(rawValue: 276)

    /// The link types ``TCPSegment/decode(frame:linkType:)`` reads.
    public static let supported: [LinkType] = [.null, .ethernet, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2]

    /// The link type for a libpcap `DLT_` value, or `nil` when the decoder does not read it.
    public init?(dlt: Int32) {
        switch dlt {
        case 0: self = .null
        case 1: self = .ethernet
        case 12, 14, 101: self = .raw  // DLT_RAW is 12 on most platforms, 14 on OpenBSD; LINKTYPE_RAW is 101
        case 108: self = .loop
        case 113: self = .linuxSLL
        case 228: self = .ipv4
        case 229: self = .ipv6
        case 276: self = .linuxSLL2
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .ethernet: return "EN10MB"
        case .raw: return "RAW"
        case .loop: return "LOOP"
        case .linuxSLL: return "LINUX_SLL"
        case .ipv4: return "IPV4"
        case .ipv6: return "IPV6"
        case .linuxSLL2: return "LINUX_SLL2"
        default: return "LINKTYPE_\(rawValue)"
        }
    }
}
