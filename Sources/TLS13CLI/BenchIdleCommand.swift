import ArgumentParser
import Glibc
import TLS13

extension BenchCommand {
    /// `tls13 bench idle`: heap and RSS per established idle connection.
    struct Idle: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "idle",
            abstract: "Hold N idle connections open (handshake done, no data) and report heap and RSS per connection.",
            discussion: """
                Needs a server that holds many connections at once (Benchmarks/nginx/start-nginx.sh starts nginx \
                with TLS 1.3 on loopback; the sequential bench server does not). After one warm-up connection \
                (opened and closed), the heap in use is read with glibc's mallinfo2() (uordblks + hblkhd: bytes \
                in use in every arena plus mmapped blocks) and the RSS from /proc/self/statm; the N connections \
                are opened one after another and held; both are read again; the growth divided by N is printed:
                  RESULT mode=idle connections=<n> heap_kib_per_conn=<x> rss_kib_per_conn=<x>
                The soft limit on open files is raised to the hard limit.
                """)
        @OptionGroup var options: Options
        @Option(help: "Number of connections to hold open.") var connections = 1000

        func run() throws {
            try options.checkBuild()
            guard connections > 0 else { throw CLIFailure(.usage, "--connections must be positive") }
            try raiseFileLimit(needed: connections + 64)
            let (host, port) = try ConnectCommand.hostAndPort(options.address)
            let configuration = try options.configuration()

            // Warm-up: the first handshake loads the trust store and touches every algorithm once.
            try TLSConnection.connect(host: host, port: port, configuration: configuration).close()

            var held: [TLSConnection] = []
            held.reserveCapacity(connections)
            let heapBefore = Self.heapBytes()
            let rssBefore = Usage.residentKiB()
            let start = Usage.now()
            for i in 0..<connections {
                do {
                    held.append(try TLSConnection.connect(host: host, port: port, configuration: configuration))
                } catch {
                    throw CLIFailure(ExitStatus.forError(error), "connection \(i + 1) of \(connections) failed: \(error.description)")
                }
            }
            let used = Usage.now() - start
            let heapAfter = Self.heapBytes()
            let rssAfter = Usage.residentKiB()

            let heapPerConnection = Double(heapAfter - heapBefore) / 1024 / Double(connections)
            let rssPerConnection = Double(rssAfter - rssBefore) / Double(connections)
            StandardStreams.printError("""
                idle: \(connections) connections held open against \(options.address) (\(fixed(used.wall, 3)) s to open)
                heap in use (mallinfo2 uordblks+hblkhd): \(heapBefore / 1024) KiB before, \(heapAfter / 1024) KiB after \
                = \(fixed(heapPerConnection, 2)) KiB per connection
                RSS: \(rssBefore) KiB before, \(rssAfter) KiB after = \(fixed(rssPerConnection, 2)) KiB per connection
                """)
            print("RESULT mode=idle connections=\(connections) heap_kib_per_conn=\(fixed(heapPerConnection, 2)) rss_kib_per_conn=\(fixed(rssPerConnection, 2))")
            try writeJSON([
                "mode": "idle", "connections": connections, "heap_before_bytes": heapBefore,
                "heap_after_bytes": heapAfter, "heap_kib_per_conn": heapPerConnection,
                "rss_before_kib": rssBefore, "rss_after_kib": rssAfter, "rss_kib_per_conn": rssPerConnection,
            ], to: options.json)
            for connection in held { connection.close() }
        }

        /// Bytes the allocator has handed out and not taken back (all arenas, plus mmapped blocks):
        /// glibc's `mallinfo2()`, `uordblks + hblkhd`.
        ///
        /// `<malloc.h>` is not part of Swift's Glibc module, so the function is looked up with `dlsym`. It
        /// returns `struct mallinfo2` (ten `size_t`) by value; a C struct that large is returned through a
        /// caller-provided buffer on x86-64 and arm64 alike, so it is called as returning `struct rusage`
        /// (larger, also imported from C) and the first ten words of that buffer are read.
        static func heapBytes() -> Int {
            typealias MallInfo2 = @convention(c) () -> rusage
            precondition(MemoryLayout<rusage>.size >= 10 * MemoryLayout<Int>.size)
            guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallinfo2") else { return 0 }
            let info = unsafeBitCast(symbol, to: MallInfo2.self)()
            return withUnsafeBytes(of: info) { raw in
                let words = raw.bindMemory(to: Int.self)
                // struct mallinfo2: arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, ...
                return words[7] + words[4]
            }
        }

        /// Raises the soft limit on open files to the hard limit; fails if that is still below `needed`.
        func raiseFileLimit(needed: Int) throws(CLIFailure) {
            var limit = rlimit()
            guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
                throw CLIFailure(.usage, "getrlimit: \(String(cString: strerror(errno)))")
            }
            if limit.rlim_cur < limit.rlim_max {
                limit.rlim_cur = limit.rlim_max
                _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            }
            if limit.rlim_cur != rlim_t.max, limit.rlim_cur < rlim_t(needed) {
                throw CLIFailure(
                    .usage, "\(connections) connections need \(needed) open files; the limit is \(limit.rlim_cur)")
            }
        }
    }
}
