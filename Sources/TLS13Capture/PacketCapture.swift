import CPcap
import Glibc
import Synchronization

/// How many frames a capture saw and lost, from `pcap_stats` when it stopped.
public struct CaptureStatistics: Hashable, Sendable {
    /// Frames that passed the filter (Linux counts them whether or not they were read).
    public var received: UInt32
    /// Frames the kernel dropped because the capture buffer was full.
    public var droppedByKernel: UInt32
    /// Frames the interface or its driver dropped (0 where not reported).
    public var droppedByInterface: UInt32

    public init(received: UInt32, droppedByKernel: UInt32, droppedByInterface: UInt32) {
        self.received = received
        self.droppedByKernel = droppedByKernel
        self.droppedByInterface = droppedByInterface
    }
}

/// A live capture of the packets that match a BPF filter on one interface, with libpcap, on a thread of its own.
///
/// ```swift
/// let capture = try PacketCapture.start(interface: "lo", filter: "tcp and host 127.0.0.1 and port 4433")
/// // … make the connection, close it …
/// let packets = capture.stop()  // waits 200 ms for the teardown's last segments, then stops
/// ```
///
/// Capturing needs `CAP_NET_RAW` (root, or `setcap cap_net_raw+ep` on the binary); without it
/// ``start(interface:filter:snapLength:)`` throws ``CaptureError/permissionDenied(_:)``. Setting the environment
/// variable `TLS13_CAPTURE_DENY=1` makes it throw that error without asking the kernel, so the fallback can be tested
/// as root.
///
/// The capture opens with immediate mode (each frame is handed over as it arrives) and a 10 ms read timeout, with
/// nanosecond timestamps where the kernel gives them. Frames are copied on the capture thread and decoded
/// (``CapturedPacket``) when the capture stops.
public final class PacketCapture: Sendable {
    /// The environment variable that, set to anything but empty or `0`, makes every capture fail with
    /// ``CaptureError/permissionDenied(_:)``, as for an unprivileged process (the tests run as root).
    public static let denyEnvironmentVariable = "TLS13_CAPTURE_DENY"

    /// The interface captured on (`lo`, `any`, `eth0`, …).
    public let interface: String
    /// The BPF filter applied.
    public let filter: String
    /// The most bytes kept of each frame.
    public let snapLength: Int
    /// The link type of the frames.
    public let linkType: LinkType
    /// Whether the pcap timestamps carry nanoseconds (else microseconds, scaled to nanoseconds in each packet).
    public let nanosecondTimestamps: Bool

    private let loop: CaptureLoop
    private let state: Mutex<StopState>

    private struct StopState: Sendable {
        var thread: pthread_t?
        var packets: [CapturedPacket]?
        var statistics: CaptureStatistics?
        var failure: CaptureError?
    }

    private init(interface: String, filter: String, snapLength: Int, linkType: LinkType, nanosecond: Bool,
                 loop: CaptureLoop, thread: pthread_t) {
        self.interface = interface
        self.filter = filter
        self.snapLength = snapLength
        self.linkType = linkType
        self.nanosecondTimestamps = nanosecond
        self.loop = loop
        self.state = Mutex(StopState(thread: thread))
    }

    deinit {
        _ = stop(linger: .zero)
    }

    /// Opens a live capture on `interface`, applies `filter`, and captures on a background thread until
    /// ``stop(linger:)``.
    ///
    /// When it returns, the kernel is already collecting the matching frames: start it before `connect` and the SYN
    /// is in the capture.
    ///
    /// - Parameters:
    ///   - interface: `lo` for loopback destinations (Linux's `lo` is Ethernet with zero MAC addresses), `any` for
    ///     others (Linux cooked headers); ``defaultInterface(toReach:)`` picks one.
    ///   - filter: a BPF expression, e.g. `tcp and host 127.0.0.1 and port 4433`; ``filter(between:and:)`` and
    ///     ``filter(host:port:)`` build one.
    ///   - snapLength: the most bytes kept of each frame, 64 to 262144.
    /// - Throws: ``CaptureError/permissionDenied(_:)`` without `CAP_NET_RAW` (or with `TLS13_CAPTURE_DENY=1`),
    ///   ``CaptureError/noSuchInterface(_:)``, ``CaptureError/badFilter(filter:reason:)``,
    ///   ``CaptureError/unsupportedLinkType(_:)``, ``CaptureError/invalidArgument(_:)``, or
    ///   ``CaptureError/pcapFailure(_:)``.
    public static func start(interface: String, filter: String, snapLength: Int = 65535) throws(CaptureError)
        -> PacketCapture
    {
        guard (64...262_144).contains(snapLength) else {
            throw .invalidArgument("snap length \(snapLength) outside 64...262144")
        }
        let handle = try open(interface: interface, snapLength: snapLength)
        var ok = false
        defer { if !ok { CPcap_close(handle) } }

        let dlt = CPcap_datalink(handle)
        guard let linkType = LinkType(dlt: dlt) else { throw .unsupportedLinkType(dlt) }
        var program = bpf_program()
        guard CPcap_compile(handle, &program, filter, 1, CPcap_NETMASK_UNKNOWN()) == 0 else {
            throw .badFilter(filter: filter, reason: errorText(handle))
        }
        let set = CPcap_setfilter(handle, &program)
        CPcap_freecode(&program)
        guard set == 0 else { throw .badFilter(filter: filter, reason: errorText(handle)) }
        let nanosecond = CPcap_get_tstamp_precision(handle) == CPcap_TSTAMP_PRECISION_NANO()

        let loop = CaptureLoop(handle: handle, nanosecond: nanosecond)
        var thread = pthread_t()
        let retained = Unmanaged.passRetained(loop)
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let loop = Unmanaged<CaptureLoop>.fromOpaque(raw).takeRetainedValue()
            loop.run()
            return nil
        }, retained.toOpaque())
        guard rc == 0 else {
            retained.release()
            throw .pcapFailure("cannot start the capture thread: \(String(cString: strerror(rc)))")
        }
        ok = true
        return PacketCapture(interface: interface, filter: filter, snapLength: snapLength, linkType: linkType,
                             nanosecond: nanosecond, loop: loop, thread: thread)
    }

    /// Whether this process may capture on `interface`: opens and activates a capture, then closes it.
    /// - Returns: `nil` when it may, else the error ``start(interface:filter:snapLength:)`` would throw
    ///   (``CaptureError/permissionDenied(_:)`` without the privilege or with `TLS13_CAPTURE_DENY=1`).
    public static func checkPermission(interface: String = "any") -> CaptureError? {
        do {
            let handle = try open(interface: interface, snapLength: 128)
            CPcap_close(handle)
            return nil
        } catch {
            return error
        }
    }

    /// Waits `linger` (so the last segments of a teardown, the final FIN's ACK, are seen), stops the capture, and
    /// returns the packets in the order captured, decoded, with their stream positions set.
    ///
    /// Blocks the calling thread for `linger` plus at most the read timeout: do not call it on a Swift-concurrency
    /// thread in a loop. Calling it again returns the same packets at once.
    public func stop(linger: Duration = .milliseconds(200)) -> [CapturedPacket] {
        state.withLock { state in
            if let packets = state.packets { return packets }
            if linger > .zero { Self.sleep(linger) }
            loop.stopRequested.store(true, ordering: .releasing)
            CPcap_breakloop(loop.handle)
            if let thread = state.thread { pthread_join(thread, nil) }
            state.thread = nil
            var stats = pcap_stat()
            if CPcap_stats(loop.handle, &stats) == 0 {
                state.statistics = CaptureStatistics(
                    received: stats.ps_recv, droppedByKernel: stats.ps_drop, droppedByInterface: stats.ps_ifdrop)
            }
            CPcap_close(loop.handle)
            state.failure = loop.failure.withLock { $0 }.map { CaptureError.pcapFailure($0) }
            let frames = loop.frames.withLock { frames in
                defer { frames = [] }
                return frames
            }
            let packets = CapturedPacket.decodeAll(frames, linkType: linkType)
            state.packets = packets
            return packets
        }
    }

    /// The kernel's counts, once stopped (`nil` before, or if libpcap could not tell).
    public var statistics: CaptureStatistics? { state.withLock { $0.statistics } }

    /// Why the capture ended before ``stop(linger:)`` (the interface went away, a read failed), once stopped.
    public var failure: CaptureError? { state.withLock { $0.failure } }

    /// The interface to capture a connection to `address` on: `lo` for a loopback address, else `any`.
    public static func defaultInterface(toReach address: IPAddress) -> String {
        address.isLoopback ? "lo" : "any"
    }

    /// A filter for the TCP segments to and from `host` port `port`: `tcp and host H and port P`.
    public static func filter(host: IPAddress, port: UInt16) -> String {
        "tcp and host \(host) and port \(port)"
    }

    /// A filter for exactly one connection's 4-tuple, both directions.
    public static func filter(between a: TCPEndpoint, and b: TCPEndpoint) -> String {
        "tcp and ((src host \(a.address) and src port \(a.port) and dst host \(b.address) and dst port \(b.port))"
            + " or (src host \(b.address) and src port \(b.port) and dst host \(a.address) and dst port \(a.port)))"
    }

    /// Whether the test switch (`TLS13_CAPTURE_DENY`) is on.
    static var denySwitchIsOn: Bool {
        guard let raw = getenv(denyEnvironmentVariable) else { return false }
        let value = String(cString: raw)
        return !value.isEmpty && value != "0"
    }

    /// Creates and activates a capture handle (no filter yet).
    private static func open(interface: String, snapLength: Int) throws(CaptureError) -> OpaquePointer {
        if denySwitchIsOn {
            throw .permissionDenied("\(denyEnvironmentVariable) is set")
        }
        var errbuf = [CChar](repeating: 0, count: Int(CPcap_ERRBUF_SIZE()) + 1)
        guard let handle = CPcap_create(interface, &errbuf) else {
            throw .pcapFailure(String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        _ = CPcap_set_snaplen(handle, Int32(snapLength))
        _ = CPcap_set_promisc(handle, 0)
        _ = CPcap_set_immediate_mode(handle, 1)
        _ = CPcap_set_timeout(handle, 10)
        _ = CPcap_set_tstamp_precision(handle, CPcap_TSTAMP_PRECISION_NANO())  // falls back to micro if refused
        let rc = CPcap_activate(handle)
        if rc < 0 {
            let message = errorText(handle)
            CPcap_close(handle)
            switch rc {
            case CPcap_ERROR_PERM_DENIED(), CPcap_ERROR_PROMISC_PERM_DENIED():
                throw .permissionDenied(message)
            case CPcap_ERROR_NO_SUCH_DEVICE():
                throw .noSuchInterface(interface)
            case CPcap_ERROR_IFACE_NOT_UP():
                throw .interfaceDown(interface)
            default:
                // Some kernels report a refused socket as a generic error: recognise the errno text too.
                if message.contains("Operation not permitted") || message.contains("permission") {
                    throw .permissionDenied(message)
                }
                throw .pcapFailure(message.isEmpty ? String(cString: CPcap_statustostr(rc)) : message)
            }
        }
        return handle
    }

    private static func errorText(_ handle: OpaquePointer) -> String {
        guard let text = CPcap_geterr(handle) else { return "" }
        return String(cString: text)
    }

    private static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }
}

/// The state shared between a ``PacketCapture`` and its capture thread.
final class CaptureLoop: @unchecked Sendable {
    // @unchecked Sendable: `handle` is used by the capture thread until it is joined, then by the stopper alone
    // (pcap_breakloop is the one call made from another thread, which libpcap allows); the rest is Mutex/Atomic.
    let handle: OpaquePointer
    let nanosecond: Bool
    let stopRequested = Atomic<Bool>(false)
    let frames = Mutex<[(timestampNanoseconds: UInt64, frame: [UInt8], originalLength: Int)]>([])
    let failure = Mutex<String?>(nil)

    init(handle: OpaquePointer, nanosecond: Bool) {
        self.handle = handle
        self.nanosecond = nanosecond
    }

    /// Reads frames until asked to stop or a read fails.
    func run() {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while !stopRequested.load(ordering: .acquiring) {
            let rc = CPcap_next_ex(handle, &header, &data)
            if rc == 1, let header, let data {
                let captured = Int(header.pointee.caplen)
                let bytes = Array(UnsafeBufferPointer(start: data, count: captured))
                let seconds = UInt64(max(header.pointee.ts.tv_sec, 0))
                let fraction = UInt64(max(header.pointee.ts.tv_usec, 0))
                let nanoseconds = seconds &* 1_000_000_000 &+ (nanosecond ? fraction : fraction &* 1000)
                let record = (timestampNanoseconds: nanoseconds, frame: bytes,
                              originalLength: Int(header.pointee.len))
                frames.withLock { $0.append(record) }
            } else if rc == 0 {
                continue  // read timeout: look at the stop flag again
            } else if rc == CPcap_ERROR_BREAK() {
                break
            } else {
                let message = CPcap_geterr(handle).map { String(cString: $0) } ?? "read failed (\(rc))"
                failure.withLock { $0 = message }
                break
            }
        }
    }
}
