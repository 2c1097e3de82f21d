import Foundation
import Glibc
import TLS13Capture
import TLS13TestSupport

/// One real TLS 1.3 connection on loopback, captured: `openssl s_client` against `openssl s_server -www`, sending
/// `GET / HTTP/1.0`, with its key log.
struct CapturedConnection: Sendable {
    var packets: [CapturedPacket]
    var keyLog: String
    var clientOutput: String
    var serverPort: UInt16
    var interface: String
    var snapLength: Int
    var nanosecondTimestamps: Bool
    var linkType: LinkType
    var statistics: CaptureStatistics?

    /// The decoded TCP segments, in capture order.
    var segments: [TCPSegment] { packets.compactMap(\.tcp) }
}

enum LiveConnection {
    /// Whether this process may capture on loopback (root in CI). The live tests are disabled only when it may not
    /// and is not root, so that a root run never skips them.
    static let capturePermitted: Bool = getuid() == 0 || PacketCapture.checkPermission(interface: "lo") == nil

    static let request = "GET / HTTP/1.0\r\n\r\n"

    /// Starts s_server, a capture on `interface` filtered on its port, runs s_client, stops the capture.
    static func run(ipv6: Bool = false, interface: String = "lo", snapLength: Int = 65535) async throws
        -> CapturedConnection
    {
        let server = try await OpenSSLServer.start(mode: ["-www"], ipv6: ipv6)
        defer { server.stop() }  // killed by PID
        let host = server.host
        let port = server.port
        return try await runBlocking {
            guard let address = IPAddress(host) else { throw VectorError(description: "bad host \(host)") }
            let capture = try PacketCapture.start(
                interface: interface, filter: PacketCapture.filter(host: address, port: port), snapLength: snapLength)
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("tls13-capture-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let keyLogURL = directory.appendingPathComponent("keylog.txt")
            let outputURL = directory.appendingPathComponent("client.out")
            _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)

            let client = Process()
            client.executableURL = URL(fileURLWithPath: OpenSSLServer.opensslPath)
            let target = ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
            client.arguments = ["s_client", "-connect", target, "-tls1_3", "-keylogfile", keyLogURL.path, "-quiet"]
            let input = Pipe()
            let output = try FileHandle(forWritingTo: outputURL)
            client.standardInput = input
            client.standardOutput = output
            client.standardError = output
            try client.run()
            input.fileHandleForWriting.write(Data(request.utf8))
            try input.fileHandleForWriting.close()
            // s_client -quiet ignores end of input and exits when the server closes (-www closes after its page).
            let deadline = Date().addingTimeInterval(15)
            while client.isRunning && Date() < deadline { usleep(10_000) }
            if client.isRunning {
                kill(client.processIdentifier, SIGKILL)
                client.waitUntilExit()
            }
            try output.close()
            let packets = capture.stop(linger: .milliseconds(300))
            let keyLog = (try? String(contentsOf: keyLogURL, encoding: .utf8)) ?? ""
            let clientOutput = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
            return CapturedConnection(
                packets: packets, keyLog: keyLog, clientOutput: clientOutput, serverPort: port,
                interface: interface, snapLength: snapLength, nanosecondTimestamps: capture.nanosecondTimestamps,
                linkType: capture.linkType, statistics: capture.statistics)
        }
    }
}

/// Runs a command and returns its standard output (blocking: call from `runBlocking`).
func runCommand(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Builds frames by hand for the decoder tests.
enum FrameBuilder {
    static let clientAddress: [UInt8] = [127, 0, 0, 1]
    static let serverAddress: [UInt8] = [127, 0, 0, 2]

    /// A TCP header: ports, seq, ack, flags, window, options (padded to 4 with EOL unless `rawOptions`), data offset
    /// computed unless given.
    static func tcp(sourcePort: UInt16 = 40000, destinationPort: UInt16 = 4433, seq: UInt32 = 1000, ack: UInt32 = 0,
                    flags: UInt8 = 0x02, window: UInt16 = 65535, options: [UInt8] = [], dataOffset: Int? = nil)
        -> [UInt8]
    {
        var opts = options
        while opts.count % 4 != 0 { opts.append(0) }
        let offsetWords = dataOffset ?? (20 + opts.count) / 4
        var h: [UInt8] = []
        h += be16(sourcePort) + be16(destinationPort) + be32(seq) + be32(ack)
        h.append(UInt8(offsetWords << 4))
        h.append(flags)
        h += be16(window) + [0, 0] + [0, 0]
        return h + opts
    }

    /// An IPv4 header (no options unless `ihl` > 5, filled with NOPs) around `payload`.
    static func ipv4(_ payload: [UInt8], protocolNumber: UInt8 = 6, ihl: Int = 5, totalLength: Int? = nil,
                     fragment: UInt16 = 0x4000, source: [UInt8] = clientAddress, destination: [UInt8] = serverAddress)
        -> [UInt8]
    {
        let headerLength = max(ihl, 5) * 4
        var h: [UInt8] = [UInt8(0x40 | (ihl & 0x0F)), 0]
        h += be16(UInt16(truncatingIfNeeded: totalLength ?? headerLength + payload.count))
        h += [0x12, 0x34] + be16(fragment) + [64, protocolNumber, 0, 0] + source + destination
        while h.count < headerLength { h.append(1) }
        return h + payload
    }

    /// An IPv6 header around `payload` (extension headers, if any, are part of `payload`).
    static func ipv6(_ payload: [UInt8], nextHeader: UInt8 = 6, payloadLength: Int? = nil) -> [UInt8] {
        var h: [UInt8] = [0x60, 0, 0, 0]
        h += be16(UInt16(truncatingIfNeeded: payloadLength ?? payload.count))
        h += [nextHeader, 64]
        h += [UInt8](repeating: 0, count: 15) + [1]
        h += [UInt8](repeating: 0, count: 15) + [1]
        return h + payload
    }

    /// An Ethernet header (zero MACs, as Linux `lo` has) with `etherType`.
    static func ethernet(_ payload: [UInt8], etherType: UInt16 = 0x0800) -> [UInt8] {
        [UInt8](repeating: 0, count: 12) + be16(etherType) + payload
    }

    /// A Linux cooked v1 header (16 bytes, protocol at 14).
    static func sll(_ payload: [UInt8], protocolType: UInt16 = 0x0800) -> [UInt8] {
        [0, 0, 0x03, 0x04, 0, 6] + [UInt8](repeating: 0, count: 8) + be16(protocolType) + payload
    }

    /// A Linux cooked v2 header (20 bytes, protocol at 0).
    static func sll2(_ payload: [UInt8], protocolType: UInt16 = 0x0800) -> [UInt8] {
        be16(protocolType) + [0, 0] + [0, 0, 0, 1] + [0x03, 0x04] + [0, 6] + [UInt8](repeating: 0, count: 8) + payload
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xFFFF)) }
}
