import ArgumentParser
import TLS13

/// Encrypted Client Hello (RFC 9849): the config to offer, a retry with the server's retry configs, GREASE ECH off.
/// Shared by `connect`, `get` and `trace`.
struct ECHOptions: ParsableArguments {
    @Option(name: .customLong("ech-config"), help: ArgumentHelp("""
        The server's ECHConfigList, base64 (as in its DNS HTTPS record's ech= parameter), or @FILE: a file holding \
        it in base64 or binary. The real server name (and ALPN) then go encrypted in ClientHelloInner; the outer \
        hello shows the config's public name.
        """, valueName: "base64|@file"), transform: ECHOptions.configList)
    var echConfig: [UInt8]?

    @Flag(name: .customLong("ech-retry"), help: ArgumentHelp("""
        When the server rejects ECH, connect once more: with the retry configs it sent, or, when it sent none \
        (ECH is off there), without ECH, as RFC 9849 says.
        """))
    var echRetry = false

    @Flag(name: .customLong("no-ech-grease"), help: ArgumentHelp("""
        Send no GREASE encrypted_client_hello when there is no --ech-config (it is sent by default, so that \
        connections with and without ECH look alike).
        """))
    var noECHGrease = false

    func validate() throws {
        if echRetry, echConfig == nil { throw ValidationError("--ech-retry needs --ech-config") }
    }

    func apply(to config: inout TLSClientConfiguration) {
        if let echConfig { config.echConfigList = echConfig }
        if noECHGrease { config.echGREASE = false }
    }

    /// `--ech-config`'s value: base64, or `@FILE` with base64 text or the raw list.
    static func configList(_ value: String) throws -> [UInt8] {
        guard value.hasPrefix("@") else {
            guard let bytes = Base64.decode(String(value.filter { !$0.isWhitespace })), !bytes.isEmpty else {
                throw ValidationError("--ech-config is not base64 (or @FILE)")
            }
            return bytes
        }
        let path = String(value.dropFirst())
        guard let content = StandardStreams.readFile(path, limit: 1 << 16), !content.isEmpty else {
            throw ValidationError("cannot read --ech-config file \(path)")
        }
        let text = String(decoding: content, as: UTF8.self).filter { !$0.isWhitespace }
        return Base64.decode(text) ?? content
    }

    /// Runs `connect` with `config`; with `--ech-retry`, when the server rejects ECH, once more with its retry configs
    /// (or without ECH when it sent none), saying so on stderr.
    func connecting<T>(
        _ config: TLSClientConfiguration, _ connect: (TLSClientConfiguration) throws(TLSError) -> T
    ) throws(CLIFailure) -> T {
        do {
            return try connect(config)
        } catch {
            guard echRetry, case .echRejected(let publicName, let retry) = error else { throw CLIFailure(error) }
            var again = config
            if let retry {
                StandardStreams.printError("tls13: ECH: rejected (public name \(publicName)): retrying with the "
                    + "server's retry configs (\(retry.count) bytes)")
                again.echConfigList = retry
            } else {
                StandardStreams.printError("tls13: ECH: rejected (public name \(publicName)), no retry configs: ECH is "
                    + "off at this server; retrying without ECH (the server name goes in clear)")
                again.echConfigList = nil
                again.echGREASE = false
            }
            do {
                return try connect(again)
            } catch {
                throw CLIFailure(error)
            }
        }
    }
}
