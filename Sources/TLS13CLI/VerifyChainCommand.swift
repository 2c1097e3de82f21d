import ArgumentParser
import Glibc
import TLS13

/// `tls13 verify-chain`: the library's certificate verification (``TLSCertificateChainVerifier``) on files,
/// without a connection. `Scripts/limbo.sh` runs the x509-limbo test suite through it.
struct VerifyChainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-chain",
        abstract: "Verify a server certificate chain as a handshake would, without connecting.",
        discussion: """
            Runs the checks a connection runs on the server's Certificate message: a path from the leaf through \
            the --untrusted certificates to one of the --cafile roots, validity at --time, the Web PKI profile \
            and the name. Prints `ok`, or `rejected: <alert>: <reason>` (the alert a handshake would send).

            Examples:
              tls13 verify-chain --cafile Certs/ca.pem --untrusted Certs/intermediate.pem \\
                  --name localhost Certs/leaf-ecdsa-p256.pem
              tls13 verify-chain --cafile roots.pem --ip 192.0.2.1 --time 1700000000 leaf.pem

            Exit status: 0 accepted; 1 rejected; 2 usage error (unreadable or malformed file, bad name).
            """
    )

    @Option(help: ArgumentHelp("PEM file of the trusted roots (only these are trusted).", valueName: "file"))
    var cafile: String

    @Option(help: ArgumentHelp("PEM file of certificates sent after the leaf (intermediates, any order).",
                               valueName: "file"))
    var untrusted: String?

    @Option(help: ArgumentHelp("The DNS name the leaf must carry.", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("The IP address the leaf must carry.", valueName: "address"))
    var ip: String?

    @Option(help: ArgumentHelp("Validation time in seconds since 1970-01-01 UTC (default: now).",
                               valueName: "seconds"))
    var time: Int64?

    @Option(help: ArgumentHelp("The most certificates accepted in the chain (as a connection's default).",
                               valueName: "n"))
    var maxChainLength = 10

    @Argument(help: ArgumentHelp("PEM file whose first certificate is the leaf (more certificates in it are sent "
                                 + "after it, before --untrusted).", valueName: "leaf.pem"))
    var leaf: String

    func validate() throws {
        if name != nil && ip != nil { throw ValidationError("give --name or --ip, not both") }
    }

    func run() throws {
        let roots = try Self.certificates(cafile, what: "--cafile")
        var chain = try Self.certificates(leaf, what: "leaf file")
        if let untrusted { chain += try Self.certificates(untrusted, what: "--untrusted") }
        var verifier: TLSCertificateChainVerifier
        do {
            verifier = try TLSCertificateChainVerifier(trustedRoots: roots)
        } catch {
            throw CLIFailure(error)
        }
        verifier.maxCertificateChainLength = maxChainLength
        let identity: TLSCertificateChainVerifier.Identity =
            if let name { .dnsName(name) } else if let ip { .ipAddress(ip) } else { .none }
        let now = time ?? Int64(Glibc.time(nil))
        do {
            try verifier.verify(chain: chain, identity: identity, atSecondsSince1970: now)
            StandardStreams.writeStdout(Array("ok\n".utf8))
        } catch {
            guard case .certificateRejected(let alert, let reason) = error else { throw CLIFailure(error) }
            StandardStreams.writeStdout(Array("rejected: \(alert): \(reason)\n".utf8))
            throw ExitCode(ExitStatus.tlsFailure.rawValue)
        }
    }

    /// The DER certificates of the PEM file at `path`.
    static func certificates(_ path: String, what: String) throws(CLIFailure) -> [[UInt8]] {
        guard let bytes = StandardStreams.readFile(path) else {
            throw CLIFailure(.usage, "cannot read \(what) \(path): \(String(cString: strerror(errno)))")
        }
        do {
            return try TLSCertificateChainVerifier.certificates(fromPEM: bytes)
        } catch {
            throw CLIFailure(.usage, "\(what) \(path): \(error)")
        }
    }
}
