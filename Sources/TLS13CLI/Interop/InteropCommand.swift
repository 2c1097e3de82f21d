import ArgumentParser
import TLS13

/// `tls13 interop`: the client against real TLS 1.3 servers on loopback, as a matrix of scenarios × servers.
struct InteropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interop",
        abstract: "Run the client against openssl s_server, gnutls-serv and tlslite-ng on loopback; print a matrix.",
        discussion: """
            Starts a fresh server on 127.0.0.1 (a free port) for every scenario and runs the client against it:
            every cipher suite (5) × group (x25519, P-256, P-384, P-521, X448, ffdhe2048/3072/4096, \
            X25519MLKEM768) × server key type (ECDSA P-256/P-384/P-521, RSA-2048, RSA-PSS, RSA with a \
            PKCS#1-signed certificate, Ed25519, Ed448), the default groups (X25519MLKEM768 + x25519 shares: no \
            HelloRetryRequest), HelloRetryRequest, client authentication required and optional, resumption, \
            0-RTT accepted and rejected, KeyUpdate, ALPN, certificate compression (zlib, brotli, zstd) and \
            Encrypted Client Hello (accepted, rejected then retried, across a HelloRetryRequest, resumed). --quick \
            runs a covering subset: every pair of the common suites, groups and key types, every other suite, group \
            and key type at least once, every flow.

            Servers: openssl s_server (--openssl, default openssl on PATH), gnutls-serv (--gnutls, default on \
            PATH), and tlslite-ng through Tests/TLS13Tests/Support/tlslite_server.py (--python: a Python with \
            tlslite-ng and kyber-py; default .build-venv/bin/python3 beside Certs/, which \
            Scripts/install-deps.sh creates, else python3), and for the ECH rows Go's crypto/tls \
            (Interop/ech-server, built with the Go toolchain Scripts/install-deps.sh puts in .build-go/). A server \
            that is not installed becomes a column of n/a. tlslite-ng is the only one of the first three with \
            X25519MLKEM768 (OpenSSL 3.0 and GnuTLS 3.7 have no ML-KEM) and with certificate compression.

            Prints one row per scenario and one column per server; cells are `pass`, `FAIL: reason` or `n/a` \
            (the reasons for n/a follow the table). Progress goes to stderr. Certs/ is found as for `demo`.

            Exit status: 0 when no cell failed; 1 when one did; 2 on a usage error.
            """
    )

    @Option(help: ArgumentHelp("The openssl executable (default: openssl on PATH).", valueName: "path"))
    var openssl: String?

    @Option(help: ArgumentHelp("The gnutls-serv executable (default: gnutls-serv on PATH).", valueName: "path"))
    var gnutls: String?

    @Option(help: ArgumentHelp("A Python with tlslite-ng and kyber-py (default: .build-venv/bin/python3, then python3).",
                               valueName: "path"))
    var python: String?

    @Option(help: ArgumentHelp("The test PKI folder (ca.pem, leaf-*, client-*).", valueName: "dir"))
    var certs: String?

    @Option(help: ArgumentHelp("Also write the matrix as JSON to this file.", valueName: "file"))
    var json: String?

    @Flag(help: "Run the covering subset (common values pairwise, every value once) instead of every combination.")
    var quick = false

    func run() throws {
        let certsDirectory = try CertsLocator.locate(explicit: certs, command: "interop")
        let repository = Posix.parent(of: certsDirectory)
        var peers: [InteropPeer] = []
        var missing: [String] = []

        if let path = openssl ?? InteropTools.onPath("openssl") {
            peers.append(try OpenSSLPeer(executable: path, certs: certsDirectory))
        } else {
            missing.append("openssl (apt-get install openssl)")
        }
        if let path = gnutls ?? InteropTools.onPath("gnutls-serv") {
            peers.append(try GnuTLSPeer(executable: path, certs: certsDirectory))
        } else {
            missing.append("gnutls-serv (apt-get install gnutls-bin)")
        }
        let script = "\(repository)/Tests/TLS13Tests/Support/tlslite_server.py"
        let venvPython = "\(repository)/.build-venv/bin/python3"
        if let python {
            peers.append(try TLSLitePeer(python: python, script: script, certs: certsDirectory))
        } else if let candidate = Posix.isExecutableFile(venvPython)
                    ? venvPython : InteropTools.onPath("python3"),
                  let peer = try? TLSLitePeer(python: candidate, script: script, certs: certsDirectory) {
            peers.append(peer)
        } else {
            missing.append("tlslite-ng (Scripts/install-deps.sh puts it in .build-venv)")
        }
        if Posix.isExecutableFile("\(repository)/.build-go/bin/go"),
            let peer = try? GoECHPeer(repository: repository, certs: certsDirectory)
        {
            peers.append(peer)
        } else {
            missing.append("the Go ECH server (Scripts/install-deps.sh puts Go in .build-go; Interop/ech-server)")
        }
        guard !peers.isEmpty else {
            throw CLIFailure(.usage, "interop: no server to run: install " + missing.joined(separator: ", "))
        }
        for name in missing { StandardStreams.printError("interop: not installed, skipped: \(name)") }

        let scenarios = InteropScenario.matrix(quick: quick)
        let runner = InteropRunner(certs: certsDirectory)
        var matrix = InteropMatrix(columns: peers.map(\.column))
        let total = scenarios.count * peers.count
        var done = 0
        let started = Posix.monotonicSeconds()
        for scenario in scenarios {
            var row: [InteropOutcome] = []
            for peer in peers {
                let t0 = Posix.monotonicSeconds()
                let outcome = runner.run(scenario, on: peer)
                done += 1
                StandardStreams.printError("[\(done)/\(total)] \(scenario.name) · \(peer.column): \(outcome.cell) "
                    + "(\(fixed(Posix.monotonicSeconds() - t0, 2)) s)")
                row.append(outcome)
            }
            matrix.add(row: scenario.name, outcomes: row)
        }
        let elapsed = Posix.monotonicSeconds() - started

        StandardStreams.writeStdout(Array(matrix.rendered().utf8))
        let summary = matrix.summary + " in \(fixed(elapsed, 1)) s (\(quick ? "--quick" : "full matrix"))"
        StandardStreams.writeStdout(Array((summary + "\n").utf8))
        try writeJSON(matrix.json(quick: quick, seconds: elapsed), to: json)
        if matrix.failures > 0 {
            throw CLIFailure(.tlsFailure, "interop: \(matrix.failures) of \(total) cells failed")
        }
    }
}

/// The matrix of outcomes, rendered as a Markdown table (as pasted into Docs/Interop.md) and as JSON.
struct InteropMatrix {
    let columns: [String]
    private(set) var rows: [(name: String, outcomes: [InteropOutcome])] = []

    init(columns: [String]) { self.columns = columns }

    mutating func add(row name: String, outcomes: [InteropOutcome]) {
        rows.append((name, outcomes))
    }

    var failures: Int { rows.reduce(0) { $0 + $1.outcomes.filter(\.isFailure).count } }
    var passes: Int { rows.reduce(0) { $0 + $1.outcomes.filter { $0 == .pass }.count } }
    var notApplicable: Int { rows.count * columns.count - failures - passes }

    /// `N pass, N FAIL, N n/a`.
    var summary: String { "\(passes) pass, \(failures) FAIL, \(notApplicable) n/a" }

    /// The table with a header row, then one `n/a` note per distinct reason.
    func rendered() -> String {
        func escape(_ text: String) -> String { text.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|") }
        var lines = ["| scenario | " + columns.joined(separator: " | ") + " |",
                     "| --- |" + String(repeating: " --- |", count: columns.count)]
        var notes: [String] = []
        for row in rows {
            lines.append("| \(escape(row.name)) | " + row.outcomes.map { escape($0.cell) }.joined(separator: " | ") + " |")
            for (column, outcome) in zip(columns, row.outcomes) {
                if case .notApplicable(let reason) = outcome {
                    let note = "n/a (\(column)): \(reason)"
                    if !notes.contains(note) { notes.append(note) }
                }
            }
        }
        if !notes.isEmpty { lines += [""] + notes }
        return lines.joined(separator: "\n") + "\n"
    }

    func json(quick: Bool, seconds: Double) -> [String: Any] {
        [
            "servers": columns,
            "quick": quick,
            "seconds": seconds,
            "pass": passes, "fail": failures, "not_applicable": notApplicable,
            "scenarios": rows.map { row -> [String: Any] in
                var cells: [String: Any] = [:]
                for (column, outcome) in zip(columns, row.outcomes) {
                    switch outcome {
                    case .pass: cells[column] = ["result": "pass"]
                    case .fail(let reason): cells[column] = ["result": "fail", "reason": reason]
                    case .notApplicable(let reason): cells[column] = ["result": "n/a", "reason": reason]
                    }
                }
                return ["name": row.name, "results": cells]
            },
        ]
    }
}
