import TLS13

/// How a started server answers a line of application data.
enum InteropReplyStyle {
    /// `openssl s_server -rev`: the line comes back reversed.
    case reversedLine
    /// `gnutls-serv --echo`, the tlslite script: the bytes come back unchanged.
    case echo
    /// `openssl s_server` in its default mode: nothing comes back; the server prints what it read.
    case printed
    /// The Go ECH server: the first request gets a page of `key=value` facts, then close_notify.
    case page
}

/// A server started for one scenario.
struct InteropRunningServer {
    let process: InteropProcess
    let replyStyle: InteropReplyStyle
    /// The ECHConfigList to offer (Go's ECH server), and the one it sends as retry configs.
    var echConfigList: [UInt8]? = nil
    var retryConfigList: [UInt8]? = nil
}

/// One column of the matrix: a TLS 1.3 server implementation `tls13 interop` can start on loopback.
protocol InteropPeer {
    /// The column heading: implementation and version, e.g. `openssl 3.0.19`.
    var column: String { get }
    /// Why `scenario` cannot run against this server, or `nil` when it can.
    func notApplicable(_ scenario: InteropScenario) -> String?
    /// Starts a fresh server set up for `scenario`.
    func start(_ scenario: InteropScenario) throws(CLIFailure) -> InteropRunningServer
    /// Whether the server prefers X25519MLKEM768 when the client offers it (the default-groups row).
    var negotiatesHybrid: Bool { get }
}

/// `openssl s_server` (tested with OpenSSL 3.0, which has no ML-KEM; 3.5 and later have X25519MLKEM768).
struct OpenSSLPeer: InteropPeer {
    let executable: String
    let certs: String
    let version: String

    init(executable: String, certs: String) throws(CLIFailure) {
        self.executable = executable
        self.certs = certs
        let printed = InteropTools.run(executable, ["version"]) ?? ""
        guard printed.hasPrefix("OpenSSL ") else {
            throw CLIFailure(.usage, "interop: \(executable) is not a working openssl (\(printed.prefix(80)))")
        }
        version = String(printed.split(separator: " ").dropFirst().first ?? "?")
    }

    var column: String { "openssl \(version)" }

    /// OpenSSL 3.5 added ML-KEM and the hybrid groups.
    var negotiatesHybrid: Bool {
        let parts = version.split(separator: ".").compactMap { Int($0.prefix { $0.isNumber }) }
        return parts.count >= 2 && (parts[0], parts[1]) >= (3, 5)
    }

    func notApplicable(_ scenario: InteropScenario) -> String? {
        if scenario.serverGroup == .x25519MLKEM768, !negotiatesHybrid {
            return "OpenSSL \(version) has no X25519MLKEM768 (added in 3.5)"
        }
        if scenario.flow == .certificateCompression {
            return "s_server does not compress certificates here (RFC 8879 came in OpenSSL 3.2; not wired for -cert_comp)"
        }
        if scenario.flow.isECH { return "OpenSSL \(version) has no ECH (OpenSSL 4.0 adds it)" }
        return nil
    }

    func start(_ scenario: InteropScenario) throws(CLIFailure) -> InteropRunningServer {
        let leaf = scenario.leaf.rawValue
        var arguments = [
            "s_server", "-accept", "127.0.0.1:0", "-tls1_3", "-no_ign_eof",
            "-cert", "\(certs)/leaf-\(leaf).pem", "-key", "\(certs)/leaf-\(leaf).key",
            "-cert_chain", "\(certs)/\(scenario.leaf.intermediate)",
        ]
        // Early data is read only in the default mode; -rev echoes lines reversed.
        let early = scenario.flow == .earlyDataAccepted || scenario.flow == .earlyDataRejected
        arguments += early ? ["-early_data"] : ["-rev"]
        if let suite = scenario.suite { arguments += ["-ciphersuites", suite.description] }
        if let group = scenario.serverGroup { arguments += ["-groups", group.displayName] }
        switch scenario.flow {
        case .clientAuthRequired: arguments += ["-Verify", "2", "-CAfile", "\(certs)/ca.pem"]
        case .clientAuthOptional: arguments += ["-verify", "2", "-CAfile", "\(certs)/ca.pem"]
        case .alpn: arguments += ["-alpn", "http/1.1"]
        default: break
        }
        let process = try InteropProcess(executable: executable, arguments: arguments, portSource: .acceptLine)
        return InteropRunningServer(process: process, replyStyle: early ? .printed : .reversedLine)
    }
}

/// GnuTLS's `gnutls-serv` (3.7: no ML-KEM).
struct GnuTLSPeer: InteropPeer {
    let executable: String
    let certs: String
    let version: String

    init(executable: String, certs: String) throws(CLIFailure) {
        self.executable = executable
        self.certs = certs
        // "gnutls-serv 3.7.9"
        let printed = InteropTools.run(executable, ["--version"]) ?? ""
        guard let first = printed.split(separator: "\n").first, first.contains("gnutls-serv") else {
            throw CLIFailure(.usage, "interop: \(executable) is not a working gnutls-serv (\(printed.prefix(80)))")
        }
        version = String(first.split(separator: " ").last ?? "?")
    }

    var column: String { "gnutls-serv \(version)" }
    var negotiatesHybrid: Bool { false }

    func notApplicable(_ scenario: InteropScenario) -> String? {
        if scenario.serverGroup == .x25519MLKEM768 { return "GnuTLS \(version) has no X25519MLKEM768" }
        if scenario.flow == .certificateCompression {
            return "gnutls-serv --compress-cert: Debian's GnuTLS \(version) is built without compression (\"Unknown compression method\")"
        }
        if scenario.flow.isECH { return "GnuTLS \(version) has no ECH" }
        return nil
    }

    private static func priorityName(_ suite: CipherSuite) -> String {
        switch suite {
        case .aes256GCMSHA384: "AES-256-GCM"
        case .chacha20Poly1305SHA256: "CHACHA20-POLY1305"
        case .aes128CCMSHA256: "AES-128-CCM"
        case .aes128CCM8SHA256: "AES-128-CCM-8"
        default: "AES-128-GCM"
        }
    }

    private static func priorityName(_ group: NamedGroup) -> String {
        switch group {
        case .secp256r1: "SECP256R1"
        case .secp384r1: "SECP384R1"
        case .secp521r1: "SECP521R1"
        case .x448: "X448"
        case .ffdhe2048: "FFDHE2048"
        case .ffdhe3072: "FFDHE3072"
        case .ffdhe4096: "FFDHE4096"
        default: "X25519"
        }
    }

    func start(_ scenario: InteropScenario) throws(CLIFailure) -> InteropRunningServer {
        var priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3"
        if let group = scenario.serverGroup { priority += ":-GROUP-ALL:+GROUP-\(Self.priorityName(group))" }
        if let suite = scenario.suite { priority += ":-CIPHER-ALL:+\(Self.priorityName(suite))" }
        let leaf = scenario.leaf.rawValue
        var arguments = [
            "-p", "0", "--echo", "--priority", priority,
            "--x509certfile", "\(certs)/leaf-\(leaf)-chain.pem", "--x509keyfile", "\(certs)/leaf-\(leaf).key",
        ]
        switch scenario.flow {
        case .clientAuthRequired:
            arguments += ["--require-client-cert", "--verify-client-cert", "--x509cafile", "\(certs)/ca.pem"]
        case .clientAuthOptional:
            break  // gnutls-serv asks for a client certificate unless given -a
        case .earlyDataAccepted, .earlyDataRejected:
            arguments += ["-a", "--earlydata"]
        case .alpn:
            arguments += ["-a", "--alpn", "http/1.1"]
        default:
            arguments += ["-a"]
        }
        let process = try InteropProcess(executable: executable, arguments: arguments, portSource: .listeningSocket)
        return InteropRunningServer(process: process, replyStyle: .echo)
    }
}

/// tlslite-ng (pure Python; ML-KEM from kyber-py) through `Tests/TLS13Tests/Support/tlslite_server.py`.
struct TLSLitePeer: InteropPeer {
    let python: String
    let script: String
    let certs: String
    let version: String

    /// Fails when `python` cannot import tlslite and kyber_py, or the script is missing.
    init(python: String, script: String, certs: String) throws(CLIFailure) {
        self.python = python
        self.script = script
        self.certs = certs
        guard Posix.exists(script) else {
            throw CLIFailure(.usage, "interop: the tlslite server script \(script) is missing")
        }
        let printed = InteropTools.run(python, ["-c", "import tlslite, kyber_py.ml_kem; print(tlslite.__version__)"])
        guard let printed, let first = printed.split(separator: "\n").first, first.first?.isNumber == true else {
            throw CLIFailure(.usage, "interop: \(python) cannot import tlslite-ng and kyber-py")
        }
        version = String(first)
    }

    var column: String { "tlslite-ng \(version)" }
    var negotiatesHybrid: Bool { true }

    func notApplicable(_ scenario: InteropScenario) -> String? {
        if scenario.flow == .earlyDataAccepted || scenario.flow == .earlyDataRejected {
            return "tlslite-ng has no 0-RTT on its server: its tickets carry no early_data extension"
        }
        if scenario.flow.isECH { return "tlslite-ng has no ECH" }
        return nil
    }

    private static func name(_ suite: CipherSuite) -> String {
        switch suite {
        case .aes256GCMSHA384: "aes256gcm"
        case .chacha20Poly1305SHA256: "chacha20-poly1305"
        case .aes128CCMSHA256: "aes128ccm"
        case .aes128CCM8SHA256: "aes128ccm_8"
        default: "aes128gcm"
        }
    }

    private static func name(_ group: NamedGroup) -> String {
        switch group {
        case .secp256r1: "secp256r1"
        case .secp384r1: "secp384r1"
        case .secp521r1: "secp521r1"
        case .x448: "x448"
        case .ffdhe2048: "ffdhe2048"
        case .ffdhe3072: "ffdhe3072"
        case .ffdhe4096: "ffdhe4096"
        case .x25519MLKEM768: "x25519mlkem768"
        default: "x25519"
        }
    }

    func start(_ scenario: InteropScenario) throws(CLIFailure) -> InteropRunningServer {
        var arguments = ["-u", script, "--certs", certs, "--leaf", scenario.leaf.rawValue]
        if let suite = scenario.suite { arguments += ["--cipher", Self.name(suite)] }
        if let group = scenario.serverGroup { arguments += ["--group", Self.name(group)] }
        switch scenario.flow {
        case .clientAuthRequired: arguments += ["--client-auth", "required"]
        case .clientAuthOptional: arguments += ["--client-auth", "optional"]
        case .alpn: arguments += ["--alpn", "http/1.1"]
        case .certificateCompression:
            arguments += ["--cert-compression", scenario.certificateCompression.map { "\($0)" } ?? "none"]
        default: break
        }
        let process = try InteropProcess(executable: python, arguments: arguments, portSource: .acceptLine)
        return InteropRunningServer(process: process, replyStyle: .echo)
    }
}

/// Go's `crypto/tls` serving ECH (Go 1.24+): `Interop/ech-server`, built into `.build/ech-server/` by
/// `Scripts/build-ech-server.sh` with the Go toolchain `Scripts/install-deps.sh` puts in `.build-go/`. Here for the ECH
/// rows only (its certificate is the test PKI's `localhost` one, its public name `ech-public.example`).
struct GoECHPeer: InteropPeer {
    let binary: String
    let certs: String
    let version: String

    /// Builds the server if needed (the first build takes a minute or two) and reads the Go version.
    init(repository: String, certs: String) throws(CLIFailure) {
        self.certs = certs
        guard let printed = InteropTools.run("/bin/bash", ["\(repository)/Scripts/build-ech-server.sh"]),
            let path = printed.split(separator: "\n").last.map(String.init), Posix.isExecutableFile(path)
        else {
            throw CLIFailure(.usage, "interop: Scripts/build-ech-server.sh did not build the ECH server (Go toolchain "
                + "in .build-go/: Scripts/install-deps.sh)")
        }
        binary = path
        let go = InteropTools.run("\(repository)/.build-go/bin/go", ["version"]) ?? ""
        version = go.split(separator: " ").first { $0.hasPrefix("go1") }.map { String($0.dropFirst(2)) } ?? "?"
    }

    var column: String { "go crypto/tls \(version) (ECH)" }
    var negotiatesHybrid: Bool { true }

    func notApplicable(_ scenario: InteropScenario) -> String? {
        scenario.flow.isECH ? nil : "the Go server is here for the ECH rows"
    }

    func start(_ scenario: InteropScenario) throws(CLIFailure) -> InteropRunningServer {
        var arguments = ["-certs", certs]
        if scenario.flow == .echRejected { arguments.append("-reject") }
        if scenario.flow == .echHelloRetry { arguments.append("-hrr") }
        let process = try InteropProcess(executable: binary, arguments: arguments, portSource: .acceptLine)
        func list(_ prefix: String) -> [UInt8]? {
            for line in process.output.split(separator: "\n") where line.hasPrefix(prefix) {
                return Base64.decode(String(line.dropFirst(prefix.count).trimmingSpaces()))
            }
            return nil
        }
        guard let config = list("ECHCONFIG "), let retry = list("RETRYCONFIG ") else {
            process.stop()
            throw CLIFailure(.tlsFailure, "interop: the ECH server printed no ECHConfigList")
        }
        return InteropRunningServer(process: process, replyStyle: .page, echConfigList: config, retryConfigList: retry)
    }
}

/// Small process and file helpers for `tls13 interop`.
enum InteropTools {
    /// Runs `executable arguments…` to completion and returns what it printed (stdout and stderr), or `nil`
    /// when it cannot be started or exits non-zero.
    static func run(_ executable: String, _ arguments: [String]) -> String? {
        guard let result = ChildProcess.run(executable, arguments), result.status == 0 else { return nil }
        return result.output
    }

    /// `name` on PATH (then /usr/bin, /usr/local/bin), or `nil`.
    static func onPath(_ name: String) -> String? {
        Posix.executable(named: name)
    }
}
