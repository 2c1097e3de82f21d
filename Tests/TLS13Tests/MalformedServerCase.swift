import Foundation
import Testing
@testable import TLS13

/// One named misbehaviour of a server, for ``MalformedServerTests``: how to break the ``ScriptedServer`` (and
/// the TCP connection), what RFC 8446 says the client must do, and where it says so.
struct MalformedServerCase: Sendable, CustomStringConvertible {
    /// The groups of the issue's list; the order is the order of `Docs/Security.md`.
    enum Category: String, Sendable, CaseIterable {
        case serverHello = "ServerHello"
        case helloRetryRequest = "HelloRetryRequest"
        case encryptedExtensions = "EncryptedExtensions"
        case certificate = "Certificate"
        case certificateVerify = "CertificateVerify"
        case finished = "Finished"
        case recordLayer = "Record layer"
        case framing = "Message framing"
        case keyShare = "Key shares"
        case postHandshake = "Post-handshake"
        case transport = "Transport"
    }

    /// How the client's alert travels.
    enum Wire: String, Sendable {
        /// Before the client has handshake keys.
        case plaintext
        /// Under the client's handshake (or, once its Finished is out, application) keys.
        case encrypted
    }

    /// Transport failures: no alert can or should be sent.
    enum TransportFailure: String, Sendable {
        /// `TLSError.network(step: .read, …)` after the server's FIN.
        case closed
        /// `TLSError.network(step: .read, …)` ("connection reset") after the server's RST.
        case reset
        /// `TLSError.timedOut` after ``TLSClientConfiguration/handshakeTimeout``.
        case timedOut
    }

    /// What the client must do.
    enum Expected: Sendable {
        /// Complete the handshake; a data round trip then works.
        case accept
        /// Abort the handshake with a fatal alert, one of these (RFC 8446 sometimes allows more than one), sent
        /// as `Wire` says; `connect` throws the error carrying it.
        case alert([AlertDescription], Wire)
        /// Complete the handshake, then fail on the first `read()` with this alert, encrypted; `read()` returns no
        /// data first.
        case alertAfterHandshake(AlertDescription)
        /// Stop on the server's fatal alert (`TLSError.alertReceived`) and send none back.
        case peerAlert(AlertDescription)
        /// Fail with a transport error and send no alert.
        case transport(TransportFailure)
        /// Complete the handshake; then `read()` throws `TLSError.truncated` (the TCP connection ended without
        /// close_notify) and no alert is sent.
        case truncatedAfterHandshake
        /// Complete the handshake; the server's close_notify ends reading cleanly (`read()` returns no bytes,
        /// nothing after the close_notify is delivered), while writing still works.
        case peerClosedAfterHandshake

        static func alert(_ alert: AlertDescription, _ wire: Wire) -> Expected { .alert([alert], wire) }

        /// The "expected outcome" column of the table in `Docs/Security.md`.
        var summary: String {
            switch self {
            case .accept:
                return "accept"
            case .alert(let alerts, let wire):
                return alerts.map { "`\($0.name)`" }.joined(separator: " or ") + " (\(wire.rawValue))"
            case .alertAfterHandshake(let alert):
                return "`\(alert.name)` after the handshake (encrypted)"
            case .peerAlert(let alert):
                return "stop on the server's `\(alert.name)`; send none"
            case .transport(.closed):
                return "no alert; `network(read)` error"
            case .transport(.reset):
                return "no alert; `network(read)` error (reset)"
            case .transport(.timedOut):
                return "no alert; `timedOut` after the handshake timeout"
            case .truncatedAfterHandshake:
                return "accept; then `read()` throws `truncated`, no alert"
            case .peerClosedAfterHandshake:
                return "accept; then `read()` returns end of stream, later data ignored"
            }
        }
    }

    /// What one run saw, for a case's own extra checks.
    struct Observation {
        var client: MalformedServerTests.ClientResult
        var report: LoopbackScriptedServer.Report
        var server: ScriptedServer
    }

    // `mutate` has no default so that a trailing closure is always the mutation (forward-scan matching would
    // otherwise give it to `client`).

    /// A stable, unique, kebab-case name: `<category>.<what>`.
    var name: String
    var category: Category
    /// The RFC 8446 section(s) that decide the outcome (or "local limit").
    var rfc: String
    var expected: Expected
    var transport: LoopbackScriptedServer.Transport = .normal
    var chain: ScriptedServer.Chain = .ecdsaP256
    /// Whether the server sends ``LoopbackScriptedServer/greeting`` after the handshake (a case that sends it
    /// itself turns this off).
    var greets = true
    /// Changes to the client's configuration (on top of ``MalformedServerTests/clientConfiguration()``).
    var client: @Sendable (inout TLSClientConfiguration) -> Void = { _ in }
    /// Breaks the scripted server: its configuration and hooks.
    var mutate: @Sendable (ScriptedServer) -> Void = { _ in }
    /// Runs on the serving thread once the client's Finished is verified, before the greeting.
    var afterHandshake: @Sendable (ScriptedServer) throws -> Void = { _ in }
    /// Further assertions for this case.
    var check: @Sendable (Observation) -> Void = { _ in }
    /// A library bug this case exposes: its checks run inside `withKnownIssue` until it is fixed.
    var knownIssue: String?

    var description: String { name }

    init(
        _ name: String, _ category: Category, _ rfc: String, _ expected: Expected,
        transport: LoopbackScriptedServer.Transport = .normal, chain: ScriptedServer.Chain = .ecdsaP256,
        greets: Bool = true,
        client: @escaping @Sendable (inout TLSClientConfiguration) -> Void = { _ in },
        afterHandshake: @escaping @Sendable (ScriptedServer) throws -> Void = { _ in },
        check: @escaping @Sendable (Observation) -> Void = { _ in },
        knownIssue: String? = nil,
        mutate: @escaping @Sendable (ScriptedServer) -> Void
    ) {
        self.name = name
        self.category = category
        self.rfc = rfc
        self.expected = expected
        self.transport = transport
        self.chain = chain
        self.greets = greets
        self.client = client
        self.mutate = mutate
        self.afterHandshake = afterHandshake
        self.check = check
        self.knownIssue = knownIssue
    }

    /// The row of this case in the `Docs/Security.md` table.
    var tableRow: String {
        "| `\(name)` | \(category.rawValue) | \(expected.summary) | \(rfc) |"
    }
}
