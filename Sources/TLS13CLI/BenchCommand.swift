import ArgumentParser
import Glibc
import TLS13

/// `tls13 bench`: handshake and bulk throughput, measured in-process (monotonic clock, getrusage user+sys).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure handshakes and throughput against a bench server (release builds).",
        discussion: """
            The server speaks a trivial protocol: after the handshake the client sends "GET /<N>\\n", the server \
            writes exactly N bytes, sends close_notify and closes. Benchmarks/bench-server.c implements it \
            (Scripts/bench-server.sh builds and starts it on loopback).

            Each run prints a progress bar on a terminal, a human summary, and exactly one machine line:
              RESULT mode=full n=<n> ok=<ok> hs_per_s=<x> cpu_ms_per_hs=<x>     (full, resume)
              RESULT mode=bulk mb_per_s=<x> cpu_s_per_gib=<x>                   (bulk)
            Time is a monotonic clock, CPU is getrusage user+sys of this process, from the first measured \
            connection to the last (process start-up and the warm-up connection excluded; the warm-up, the \
            first handshake of the process, is reported on its own). MB = 10^6 bytes, GiB = 2^30 bytes.

            Debug builds are refused (their figures mean nothing) unless --allow-debug.
            """,
        subcommands: [Full.self, Resume.self, Bulk.self, Idle.self]
    )

    struct Options: ParsableArguments {
        @Argument(help: ArgumentHelp("Server address: host:port or [v6]:port.", valueName: "host:port"))
        var address: String

        @OptionGroup var tls: TLSOptions

        @Option(help: ArgumentHelp("""
            Key exchange groups to offer, as for connect (default: X25519MLKEM768,x25519,P-256,P-384,P-521,X448 \
            with X25519MLKEM768 and x25519 key shares). `--groups x25519,secp256r1,secp384r1` measures the \
            client without the post-quantum hybrid.
            """, valueName: "list"), transform: NameLists.groups)
        var groups: [NamedGroup]?

        @Flag(help: "Run even in a debug build (for smoke tests; the figures are not meaningful).")
        var allowDebug = false

        @Flag(help: ArgumentHelp("""
            full/resume: talk to `openssl s_server -www` instead of the bench protocol: send \
            "GET / HTTP/1.0", count a connection ok when an HTTP 200 page ends with close_notify (for soak tests \
            against OpenSSL's own server; --size is ignored).
            """))
        var www = false

        @Option(help: ArgumentHelp("Also write the whole result as JSON to this file.", valueName: "file"))
        var json: String?

        @Option(name: .customLong("verified-chain-cache"), help: ArgumentHelp(
            "Lifetime of the verified-chain cache (default: the library's, 3600; see TLSClientConfiguration.verifiedChainCacheLifetime).",
            valueName: "seconds"))
        var verifiedChainCache: Double?

        @Flag(name: .customLong("no-verified-chain-cache"), help: ArgumentHelp(
            "Verify every chain in full (what OpenSSL's client does)."))
        var noVerifiedChainCache = false

        @Flag(name: .customLong("no-key-share-hints"), help: ArgumentHelp(
            "Always send the configured key shares, not the group the server chose last time."))
        var noKeyShareHints = false

        /// The client configuration: the TLS options, `--groups`, the chain cache and key-share hint switches.
        func configuration() throws(CLIFailure) -> TLSClientConfiguration {
            var config = try tls.configuration()
            if let groups, !groups.isEmpty {
                config.supportedGroups = groups
                config.keyShareGroups = NameLists.keyShareGroups(for: groups)
            }
            if noVerifiedChainCache {
                guard verifiedChainCache == nil else {
                    throw CLIFailure(.usage, "--verified-chain-cache and --no-verified-chain-cache exclude each other")
                }
                config.verifiedChainCacheLifetime = nil
            } else if let verifiedChainCache {
                config.verifiedChainCacheLifetime = verifiedChainCache
            }
            if noKeyShareHints { config.keyShareHints = nil }
            return config
        }

        /// The groups offered and shared, for the summary: `X25519MLKEM768,X25519,P-256,P-384 (shares: …)`.
        func groupsDescription(_ config: TLSClientConfiguration) -> String {
            config.supportedGroups.map(\.displayName).joined(separator: ",") + " (key shares: "
                + config.keyShareGroups.map(\.displayName).joined(separator: ",") + ")"
        }

        func checkBuild() throws(CLIFailure) {
            #if DEBUG
                if !allowDebug {
                    throw CLIFailure(.usage, "bench needs a release build (swift build -c release); --allow-debug runs it anyway")
                }
            #endif
        }
    }

    /// `-n` and `--size`, shared by `full` and `resume`.
    struct HandshakeCounts: ParsableArguments {
        @Option(name: .short, help: "Number of measured connections.") var n = 1000
        @Option(help: "Bytes requested per connection.") var size = 64

        /// Runs the handshake benchmark in `mode` (`full` or `resume`).
        func run(_ mode: String, _ options: Options) throws {
            try options.checkBuild()
            var bench = try HandshakeBench(options: options, mode: mode, count: n, size: size)
            try bench.run()
        }
    }

    struct Full: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "full",
            abstract: "N sequential full handshakes, each on a fresh TCP connection, with verification.")
        @OptionGroup var options: Options
        @OptionGroup var counts: HandshakeCounts

        func run() throws { try counts.run("full", options) }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume",
            abstract: "N sequential PSK-resumed handshakes, each resuming the newest ticket of the previous one.")
        @OptionGroup var options: Options
        @OptionGroup var counts: HandshakeCounts

        func run() throws { try counts.run("resume", options) }
    }

    struct Bulk: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "bulk", abstract: "One connection reading M MiB to close_notify.")
        @OptionGroup var options: Options
        @Option(help: "MiB to read.") var mib = 256

        func run() throws {
            try options.checkBuild()
            guard !options.www else { throw CLIFailure(.usage, "bench bulk: --www is for full and resume") }
            try BulkBench(options: options, mib: mib).run()
        }
    }
}

/// CPU and wall time of this process.
struct Usage {
    var wall: Double
    var cpu: Double

    static func now() -> Usage {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        var ru = rusage()
        getrusage(RUSAGE_SELF.rawValue, &ru)
        let cpu = Double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + Double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6
        return Usage(wall: Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9, cpu: cpu)
    }

    static func - (a: Usage, b: Usage) -> Usage { Usage(wall: a.wall - b.wall, cpu: a.cpu - b.cpu) }

    /// Resident set size now, in KiB (/proc/self/statm).
    static func residentKiB() -> Int {
        guard let bytes = StandardStreams.readFile("/proc/self/statm") else { return 0 }
        let text = String(decoding: bytes, as: UTF8.self)
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }

    /// Peak resident set size, in KiB.
    static func peakResidentKiB() -> Int {
        var ru = rusage()
        getrusage(RUSAGE_SELF.rawValue, &ru)
        return Int(ru.ru_maxrss)
    }
}

/// A one-line progress bar on stderr when it is a terminal.
struct Progress {
    let total: Int
    let enabled = isatty(2) == 1
    var last = -1

    mutating func update(_ done: Int) {
        guard enabled, total > 0 else { return }
        let percent = done * 100 / total
        guard percent != last else { return }
        last = percent
        let width = 40
        let filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        StandardStreams.write(Array("\r[\(bar)] \(done)/\(total)\(done == total ? "\n" : "")".utf8), to: STDERR_FILENO)
    }
}

/// Formats a number with a fixed count of decimals (0…6; no locale).
func fixed(_ value: Double, _ decimals: Int) -> String {
    TraceHTML.fixed(value, decimals)
}

/// `bench full` and `bench resume`.
struct HandshakeBench {
    let options: BenchCommand.Options
    let mode: String
    let count: Int
    let size: Int
    let host: String
    let port: UInt16
    var configuration: TLSClientConfiguration

    init(options: BenchCommand.Options, mode: String, count: Int, size: Int) throws {
        guard count > 0, size >= 0 else { throw CLIFailure(.usage, "-n must be positive and --size not negative") }
        self.options = options
        self.mode = mode
        self.count = count
        self.size = size
        (host, port) = try ConnectCommand.hostAndPort(options.address)
        configuration = try options.configuration()
    }

    /// One connection: handshake, `GET /size`, read to close_notify. Returns the session to resume next.
    func exchange(session: TLSSession?) throws -> (ok: Bool, resumed: Bool, next: TLSSession?, group: NamedGroup?) {
        let connection = try TLSConnection.connect(host: host, port: port, configuration: configuration, session: session)
        defer { connection.close() }
        try connection.write(Array((options.www ? "GET / HTTP/1.0\r\n\r\n" : "GET /\(size)\n").utf8))
        var received = 0
        var head: [UInt8] = []
        while case let chunk = try connection.read(maxCount: 1 << 16), !chunk.isEmpty {
            received += chunk.count
            if head.count < 16 { head += chunk.prefix(16 - head.count) }
        }
        let ok = options.www ? head.starts(with: Array("HTTP/1.0 200".utf8)) : received == size
        return (ok, connection.sessionInfo.resumed, connection.receivedSessions.last, connection.sessionInfo.group)
    }

    mutating func run() throws {
        // Warm-up: the process's first handshake (loads the trust store, first use of every algorithm).
        let warmStart = Usage.now()
        let warmUp = try exchange(session: nil)
        var session = warmUp.next
        let first = Usage.now() - warmStart
        let negotiatedGroup = warmUp.group?.displayName ?? "none"
        let rssStart = Usage.residentKiB()

        var progress = Progress(total: count)
        var ok = 0
        var resumed = 0
        var failures: [String] = []
        let start = Usage.now()
        for i in 0..<count {
            do {
                let result = try exchange(session: mode == "resume" ? session : nil)
                if result.ok { ok += 1 }
                if result.resumed { resumed += 1 }
                if mode == "resume" { session = result.next ?? session }
            } catch {
                if failures.count < 5 { failures.append("\(error)") }
            }
            progress.update(i + 1)
        }
        let used = Usage.now() - start
        let rssEnd = Usage.residentKiB()

        let hsPerSecond = Double(count) / used.wall
        let cpuMsPerHandshake = used.cpu * 1000 / Double(count)
        var summary = """
            \(mode) handshakes: \(count) measured, \(ok) ok\(mode == "resume" ? ", \(resumed) resumed" : "") against \(options.address)
            groups offered: \(options.groupsDescription(configuration)); negotiated: \(negotiatedGroup)
            wall: \(fixed(used.wall, 3)) s (\(fixed(hsPerSecond, 1)) handshakes/s)
            client CPU (user+sys): \(fixed(used.cpu, 3)) s = \(fixed(cpuMsPerHandshake, 3)) ms per handshake
            first handshake of the process: \(fixed(first.wall * 1000, 2)) ms wall, \(fixed(first.cpu * 1000, 2)) ms CPU
            RSS: \(rssStart) KiB after warm-up, \(rssEnd) KiB at the end (peak \(Usage.peakResidentKiB()) KiB)
            """
        if !failures.isEmpty { summary += "\nfailures (first \(failures.count)): " + failures.joined(separator: "; ") }
        StandardStreams.printError(summary)
        print("RESULT mode=\(mode) n=\(count) ok=\(ok) hs_per_s=\(fixed(hsPerSecond, 1)) cpu_ms_per_hs=\(fixed(cpuMsPerHandshake, 4))")
        try writeJSON([
            "mode": mode, "n": count, "ok": ok, "resumed": resumed, "size": size,
            "wall_s": used.wall, "cpu_s": used.cpu, "hs_per_s": hsPerSecond, "cpu_ms_per_hs": cpuMsPerHandshake,
            "first_hs_wall_ms": first.wall * 1000, "first_hs_cpu_ms": first.cpu * 1000,
            "groups_offered": configuration.supportedGroups.map(\.displayName),
            "key_share_groups": configuration.keyShareGroups.map(\.displayName), "group": negotiatedGroup,
            "rss_start_kib": rssStart, "rss_end_kib": rssEnd, "peak_rss_kib": Usage.peakResidentKiB(),
            "failures": failures,
        ], to: options.json)
    }
}

/// `bench bulk`.
struct BulkBench {
    let options: BenchCommand.Options
    let mib: Int

    func run() throws {
        guard mib > 0 else { throw CLIFailure(.usage, "--mib must be positive") }
        let (host, port) = try ConnectCommand.hostAndPort(options.address)
        let configuration = try options.configuration()
        let connection = try TLSConnection.connect(host: host, port: port, configuration: configuration)
        defer { connection.close() }
        let total = mib << 20
        var progress = Progress(total: mib)
        let start = Usage.now()
        try connection.write(Array("GET /\(total)\n".utf8))
        var received = 0
        while case let chunk = try connection.read(maxCount: 1 << 16), !chunk.isEmpty {
            received += chunk.count
            progress.update(received >> 20)
        }
        let used = Usage.now() - start
        guard received == total else {
            throw CLIFailure(.tlsFailure, "received \(received) bytes, expected \(total)")
        }
        let mbPerSecond = Double(received) / 1e6 / used.wall
        let cpuPerGiB = used.cpu / (Double(received) / Double(1 << 30))
        StandardStreams.printError("""
            bulk: \(mib) MiB in \(fixed(used.wall, 3)) s = \(fixed(mbPerSecond, 1)) MB/s
            client CPU (user+sys): \(fixed(used.cpu, 3)) s = \(fixed(cpuPerGiB, 3)) s per GiB
            cipher: \(connection.sessionInfo.cipherSuite)
            """)
        print("RESULT mode=bulk mb_per_s=\(fixed(mbPerSecond, 1)) cpu_s_per_gib=\(fixed(cpuPerGiB, 4))")
        try writeJSON([
            "mode": "bulk", "mib": mib, "bytes": received, "wall_s": used.wall, "cpu_s": used.cpu,
            "mb_per_s": mbPerSecond, "cpu_s_per_gib": cpuPerGiB, "cipher": "\(connection.sessionInfo.cipherSuite)",
        ], to: options.json)
    }
}

/// Writes `object` as pretty-printed JSON with sorted keys to `path` (nothing when `path` is nil).
func writeJSON(_ object: [String: Any], to path: String?) throws {
    guard let path else { return }
    let text = JSONValue(any: object).text(pretty: true) + "\n"
    guard StandardStreams.writeFile(Array(text.utf8), to: path, mode: 0o644) else {
        throw CLIFailure(.usage, "cannot write \(path): \(Posix.errorText())")
    }
}

extension JSONValue {
    /// A value built from Swift values as `[String: Any]` literals hold them: Bool, integers, Double, String,
    /// arrays and dictionaries (keys sorted); anything else as its description.
    init(any value: Any) {
        switch value {
        case let b as Bool: self = .bool(b)
        case let i as Int: self = .integer(Int64(i))
        case let i as Int64: self = .integer(i)
        case let i as UInt32: self = .integer(Int64(i))
        case let d as Double: self = .number(d)
        case let s as String: self = .string(s)
        case let array as [Any]: self = .array(array.map { JSONValue(any: $0) })
        case let object as [String: Any]:
            self = .object(object.sorted { $0.key < $1.key }.map { ($0.key, JSONValue(any: $0.value)) })
        default: self = .string("\(value)")
        }
    }
}
