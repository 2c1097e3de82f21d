import Foundation

/// Where the test PKI lives: `Certs/` at the package root, found from this file's path. `TLS13_CERTS` overrides it.
/// See `Certs/README.md` for what each file is.
public enum CertPaths {
    public static var root: URL {
        if let env = ProcessInfo.processInfo.environment["TLS13_CERTS"] {
            return URL(fileURLWithPath: env)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // TLS13TestSupport
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
            .appendingPathComponent("Certs")
    }

    /// The full path of `name` inside `Certs/`; an absolute path (a temporary file) is returned as it is.
    public static func path(_ name: String) -> String {
        name.hasPrefix("/") ? name : root.appendingPathComponent(name).path
    }

    /// The bytes of `name` inside `Certs/`.
    public static func load(_ name: String) throws -> Data {
        let url = root.appendingPathComponent(name)
        do {
            return try Data(contentsOf: url)
        } catch {
            throw VectorError(description: "cannot read cert file \(url.path): \(error)")
        }
    }

    /// The good leaf types: `leaf-<type>.pem`, `.key`, `-chain.pem`.
    public static let goodLeafTypes = ["ecdsa-p256", "ecdsa-p384", "rsa2048", "ed25519"]
    /// The deliberately bad leaves.
    public static let badLeafTypes = ["expired", "not-yet-valid", "wrong-host", "self-signed", "unknown-ca"]
}
