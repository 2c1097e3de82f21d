
/// Finds the repository's test PKI (`Certs/`) for the commands that start local servers (`demo`, `interop`).
enum CertsLocator {
    /// `explicit` (`--certs`), then `$TLS13_CERTS`, then `Certs/` in the current directory and its parents,
    /// then in the parents of the tls13 executable (so `swift run tls13 …` works from the package).
    /// - Parameter command: the subcommand, for the error message.
    static func locate(explicit: String?, command: String) throws(CLIFailure) -> String {
        func isCerts(_ dir: String) -> Bool {
            Posix.exists("\(dir)/ca.pem") && Posix.exists("\(dir)/leaf-ecdsa-p256.pem")
        }
        if let explicit {
            guard isCerts(explicit) else {
                throw CLIFailure(.usage, "\(command): \(explicit) does not hold ca.pem and leaf-ecdsa-p256.pem")
            }
            return explicit
        }
        if let env = Posix.environment("TLS13_CERTS"), isCerts(env) { return env }
        var starts = [Posix.currentDirectory()]
        if let exe = Posix.readLink("/proc/self/exe") {
            starts.append(Posix.parent(of: exe))
        }
        for start in starts {
            var dir = Posix.normalized(start)
            while true {
                let candidate = dir == "/" ? "/Certs" : dir + "/Certs"
                if isCerts(candidate) { return candidate }
                let parent = Posix.parent(of: dir)
                if parent == dir { break }
                dir = parent
            }
        }
        throw CLIFailure(.usage, "\(command): cannot find the Certs/ folder of swift-tls13; run from the repository "
            + "or pass --certs DIR")
    }
}
