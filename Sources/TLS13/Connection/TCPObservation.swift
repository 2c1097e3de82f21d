#if canImport(Glibc)
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#endif

extension TLSTCPInfo {
    /// The state the kernel's socket table (`/proc/net/tcp`, `/proc/net/tcp6`) holds for the connection
    /// `localAddress` → `remoteAddress` (as ``TLSConnection/localAddress`` and ``TLSConnection/remoteAddress`` write
    /// them), e.g. `TIME_WAIT` after this side closed first; `nil` when it holds none (the connection is gone) or the
    /// table cannot be read. For a trace of the teardown after the connection was released.
    public static func kernelState(localAddress: String, remoteAddress: String) -> String? {
        TCPObservation.tableState(local: localAddress, remote: remoteAddress)
    }
}

/// The kernel's view of a TCP connection, for the trace: `TCP_INFO` while the socket is open, the socket table
/// (`/proc/net/tcp`, `/proc/net/tcp6`) for the 4-tuple after it is closed.
enum TCPObservation {
    /// The Linux TCP states by number (`include/net/tcp_states.h`).
    static let stateNames = [
        1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE",
        8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV",
    ]

    static func stateName(_ state: Int) -> String { stateNames[state] ?? "state \(state)" }

    /// `TCP_INFO` for `fd`, or `nil` when the kernel gives none.
    static func info(fd: Int32) -> TLSTCPInfo? {
        var raw = tcp_info()
        var length = socklen_t(MemoryLayout<tcp_info>.size)
        guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, &raw, &length) == 0 else { return nil }
        return TLSTCPInfo(
            state: stateName(Int(raw.tcpi_state)), localAddress: address(fd: fd, peer: false) ?? "?",
            remoteAddress: address(fd: fd, peer: true) ?? "?",
            roundTripTime: .microseconds(Int64(raw.tcpi_rtt)), roundTripTimeVariance: .microseconds(Int64(raw.tcpi_rttvar)),
            sendMSS: Int(raw.tcpi_snd_mss), congestionWindow: Int(raw.tcpi_snd_cwnd),
            retransmits: Int(raw.tcpi_retransmits), totalRetransmits: Int(raw.tcpi_total_retrans))
    }

    /// Just the state, from `TCP_INFO`.
    static func state(fd: Int32) -> String? { info(fd: fd)?.state }

    /// The local (`peer: false`) or remote address of `fd`, `127.0.0.1:4433` / `[::1]:4433`.
    static func address(fd: Int32, peer: Bool) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length)
            }
        }
        guard rc == 0 else { return nil }
        return withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length)?.description }
        }
    }

    /// After shutting a socket down: its states over up to `window` seconds (sampled every few milliseconds until it
    /// reaches TIME_WAIT or CLOSE), each state once, in order.
    static func teardownStates(fd: Int32, window: Double) -> [String] {
        var states: [String] = []
        let deadline = Deadline.after(seconds: window)
        while true {
            guard let state = state(fd: fd) else { break }
            if states.last != state { states.append(state) }
            if state == "TIME_WAIT" || state == "CLOSE" || deadline.hasPassed() { break }
            usleep(2_000)
        }
        return states
    }

    /// The state the kernel's socket table holds for the connection `local` → `remote` (addresses as
    /// ``address(fd:peer:)`` writes them), e.g. `TIME_WAIT` after this side closed first; `nil` when it holds none.
    static func tableState(local: String, remote: String) -> String? {
        guard let (localHex, localPort) = hexEndpoint(local), let (remoteHex, remotePort) = hexEndpoint(remote) else {
            return nil
        }
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = readFile(file) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let columns = line.split(separator: " ", omittingEmptySubsequences: true)
                guard columns.count > 3 else { continue }
                let l = columns[1].split(separator: ":"), r = columns[2].split(separator: ":")
                guard l.count == 2, r.count == 2, l[0] == localHex, r[0] == remoteHex,
                      Int(l[1], radix: 16) == localPort, Int(r[1], radix: 16) == remotePort,
                      let state = Int(columns[3], radix: 16)
                else { continue }
                return stateName(state)
            }
        }
        return nil
    }

    /// The address as `/proc/net/tcp` writes it (the 32-bit words of the address in host byte order, hex) and the port.
    private static func hexEndpoint(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        func words(_ bytes: [UInt8]) -> String {
            let digits = Array("0123456789ABCDEF")
            var out = ""
            for word in stride(from: 0, to: bytes.count, by: 4) {
                // Each 32-bit word is printed as a little-endian integer.
                for i in (0..<4).reversed() {
                    let b = bytes[word + i]
                    out.append(digits[Int(b >> 4)])
                    out.append(digits[Int(b & 0xF)])
                }
            }
            return out
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return (withUnsafeBytes(of: v4) { words(Array($0)) }, port)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return (withUnsafeBytes(of: v6) { words(Array($0)) }, port)
        }
        return nil
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count < 16 << 20 {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
