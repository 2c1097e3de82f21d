import ArgumentParser
import Dispatch
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

                With --async, the connections are AsyncTLSConnections on the shared readiness loop, opened \
                --concurrency at a time, and the line also has the process's threads (/proc/self/status) while \
                they are held and the connections established per second:
                  RESULT mode=idle-async connections=<n> heap_kib_per_conn=<x> rss_kib_per_conn=<x> threads=<t> conns_per_s=<r>
                """)
        @OptionGroup var options: Options
        @Option(help: "Number of connections to hold open.") var connections = 1000
        @Flag(name: .customLong("async"), help: "Hold AsyncTLSConnections (one readiness loop) instead of blocking ones.")
        var asyncMode = false
        @Option(help: "With --async: how many handshakes are in flight at once while the connections are opened.")
        var concurrency = 64

        func run() throws {
            try options.checkBuild()
            guard connections > 0 else { throw CLIFailure(.usage, "--connections must be positive") }
            try raiseFileLimit(needed: connections + 64)
            let (host, port) = try ConnectCommand.hostAndPort(options.address)
            let configuration = try options.configuration()
            if asyncMode {
                guard concurrency > 0 else { throw CLIFailure(.usage, "--concurrency must be positive") }
                return try runAsync(host: host, port: port, configuration: configuration)
            }

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

        /// `--async`: the same measurement over AsyncTLSConnections, opened `concurrency` at a time from tasks; the
        /// main thread only waits for them.
        func runAsync(host: String, port: UInt16, configuration: TLSClientConfiguration) throws {
            let outcome = Locked<Result<AsyncIdleResult, CLIFailure>?>(nil)
            let done = DispatchSemaphore(value: 0)
            let (count, width, address) = (connections, concurrency, options.address)
            Task {
                let result = await Self.holdAsync(
                    host: host, port: port, configuration: configuration, count: count, width: width, address: address)
                outcome.withLock { $0 = result }
                done.signal()
            }
            done.wait()
            guard let result = outcome.withLock({ $0 }) else { return }
            let r = try result.get()
            let n = Double(connections)
            let heapPerConnection = Double(r.heapAfter - r.heapBefore) / 1024 / n
            let rssPerConnection = Double(r.rssAfter - r.rssBefore) / n
            let perSecond = n / r.seconds
            StandardStreams.printError("""
                idle (async): \(connections) AsyncTLSConnections held open against \(options.address) \
                (\(fixed(r.seconds, 3)) s to open, \(concurrency) handshakes in flight = \(fixed(perSecond, 0)) connections/s)
                threads in the process while they are held: \(r.threads) (\(r.threadsBefore) before)
                heap in use (mallinfo2 uordblks+hblkhd): \(r.heapBefore / 1024) KiB before, \(r.heapAfter / 1024) KiB after \
                = \(fixed(heapPerConnection, 2)) KiB per connection
                RSS: \(r.rssBefore) KiB before, \(r.rssAfter) KiB after = \(fixed(rssPerConnection, 2)) KiB per connection
                """)
            print("RESULT mode=idle-async connections=\(connections) heap_kib_per_conn=\(fixed(heapPerConnection, 2)) rss_kib_per_conn=\(fixed(rssPerConnection, 2)) threads=\(r.threads) conns_per_s=\(fixed(perSecond, 1))")
            try writeJSON([
                "mode": "idle-async", "connections": connections, "concurrency": concurrency,
                "heap_before_bytes": r.heapBefore, "heap_after_bytes": r.heapAfter, "heap_kib_per_conn": heapPerConnection,
                "rss_before_kib": r.rssBefore, "rss_after_kib": r.rssAfter, "rss_kib_per_conn": rssPerConnection,
                "threads": r.threads, "threads_before": r.threadsBefore, "open_seconds": r.seconds,
                "conns_per_s": perSecond,
            ], to: options.json)
        }

        struct AsyncIdleResult: Sendable {
            var heapBefore = 0, heapAfter = 0, rssBefore = 0, rssAfter = 0, threadsBefore = 0, threads = 0
            var seconds = 0.0
        }

        static func holdAsync(
            host: String, port: UInt16, configuration: TLSClientConfiguration, count: Int, width: Int, address: String
        ) async -> Result<AsyncIdleResult, CLIFailure> {
            var r = AsyncIdleResult()
            do {
                // Warm-up: trust store, algorithms, the loop thread.
                try await AsyncTLSConnection.connect(host: host, port: port, configuration: configuration).close()
            } catch {
                return .failure(CLIFailure(ExitStatus.forError(error), "warm-up connection failed: \(error.description)"))
            }
            var held: [AsyncTLSConnection] = []
            held.reserveCapacity(count)
            r.threadsBefore = threadCount()
            r.heapBefore = heapBytes()
            r.rssBefore = Usage.residentKiB()
            let start = Usage.now()
            let opened: Result<[AsyncTLSConnection], CLIFailure> = await withTaskGroup(
                of: Result<AsyncTLSConnection, TLSError>.self
            ) { group in
                var next = 0
                var failure: CLIFailure?
                func add() {
                    next += 1
                    group.addTask {
                        do throws(TLSError) {
                            return .success(try await AsyncTLSConnection.connect(host: host, port: port, configuration: configuration))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                while next < min(width, count) { add() }
                while let result = await group.next() {
                    switch result {
                    case .success(let connection):
                        held.append(connection)
                        if next < count && failure == nil { add() }
                    case .failure(let error):
                        if failure == nil {
                            failure = CLIFailure(
                                ExitStatus.forError(error),
                                "a connection failed after \(held.count) of \(count) were open: \(error.description)")
                        }
                    }
                }
                if let failure { return .failure(failure) }
                return .success(held)
            }
            let used = Usage.now() - start
            switch opened {
            case .failure(let failure):
                return .failure(failure)
            case .success(let connections):
                r.seconds = used.wall
                r.threads = threadCount()
                r.heapAfter = heapBytes()
                r.rssAfter = Usage.residentKiB()
                await withTaskGroup(of: Void.self) { group in
                    for connection in connections { group.addTask { await connection.close() } }
                }
            }
            return .success(r)
        }

        /// The process's threads (`Threads:` in /proc/self/status).
        static func threadCount() -> Int {
            guard let bytes = StandardStreams.readFile("/proc/self/status") else { return -1 }
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Threads:") {
                return Int(line.dropFirst("Threads:".count).filter { !$0.isWhitespace }) ?? -1
            }
            return -1
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
