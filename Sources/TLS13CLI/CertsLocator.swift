import Foundation

/// Finds the repository's test PKI (`Certs/`) for the commands that start local servers (`demo`, `interop`).
enum CertsLocator {
    /// `explicit` (`--certs`), then `$TLS13_CERTS`, then `Certs/` in the current directory and its parents,
    /// then in the parents of the tls13 executable (so `swift run tls13 …` works from the package).
    /// - Parameter command: the subcommand, for the error message.
    static func locate(explicit: String?, command: String) throws(CLIFailure) -> String {
        let fm = FileManager.default
        func isCerts(_ dir: String) -> Bool {
            fm.fileExists(atPath: "\(dir)/ca.pem") && fm.fileExists(atPath: "\(dir)/leaf-ecdsa-p256.pem")
        }
        if let explicit {
            guard isCerts(explicit) else {
                throw CLIFailure(.usage, "\(command): \(explicit) does not hold ca.pem and leaf-ecdsa-p256.pem")
            }
            return explicit
        }
        if let env = ProcessInfo.processInfo.environment["TLS13_CERTS"], isCerts(env) { return env }
        var starts = [fm.currentDirectoryPath]
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            starts.append((exe as NSString).deletingLastPathComponent)
        }
        for start in starts {
            var dir = URL(fileURLWithPath: start).standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent("Certs").path
                if isCerts(candidate) { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        throw CLIFailure(.usage, "\(command): cannot find the Certs/ folder of swift-tls13; run from the repository "
            + "or pass --certs DIR")
    }
}
