/// Why a capture could not start, or why a pcapng file could not be written.
///
/// Every case reads as one line (``description``), fit to print after the program's name. A missing privilege
/// is ``permissionDenied(_:)``, so a caller can fall back to what it can do without packets.
public enum CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The process may not capture: it needs `CAP_NET_RAW` (root, or `setcap cap_net_raw+ep` on the binary).
    /// The associated value is libpcap's own message, or the reason the test switch gave
    /// (`TLS13_CAPTURE_DENY=1`, see ``PacketCapture/denyEnvironmentVariable``).
    case permissionDenied(String)
    /// No interface of that name (`lo` for loopback, `any` for all of them on Linux).
    case noSuchInterface(String)
    /// The interface exists but is down.
    case interfaceDown(String)
    /// libpcap could not compile the BPF filter expression.
    case badFilter(filter: String, reason: String)
    /// The interface delivers frames of a link type this decoder does not read (the DLT number).
    case unsupportedLinkType(Int32)
    /// An argument out of range (a snap length below 64 or above 262144, a negative linger).
    case invalidArgument(String)
    /// Any other libpcap failure, with its message.
    case pcapFailure(String)
    /// A system call on a file failed (writing a pcapng file): the path and `strerror`'s text.
    case fileError(path: String, reason: String)

    /// One line for a person.
    public var description: String {
        switch self {
        case .permissionDenied(let detail):
            let why = detail.isEmpty ? "" : " (\(detail))"
            return "capturing packets needs CAP_NET_RAW (run as root or `setcap cap_net_raw+ep` the binary)\(why)"
        case .noSuchInterface(let name):
            return "cannot capture on \(name): no such interface"
        case .interfaceDown(let name):
            return "cannot capture on \(name): the interface is down"
        case .badFilter(let filter, let reason):
            return "bad capture filter '\(filter)': \(reason)"
        case .unsupportedLinkType(let dlt):
            return "cannot decode packets of link type \(dlt) (supported: Ethernet, Linux cooked v1/v2, raw IP, BSD loopback)"
        case .invalidArgument(let what):
            return "capture: \(what)"
        case .pcapFailure(let message):
            return "packet capture failed: \(message)"
        case .fileError(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }

    /// Whether this is the missing-privilege error (the one a caller answers with a fallback rather than a failure).
    public var isPermissionDenied: Bool {
        if case .permissionDenied = self { return true }
        return false
    }
}
