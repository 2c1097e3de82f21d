import Foundation
import Glibc

/// `tls13-bogo-shim`: runs one test of BoringSSL's TLS test suite (BoGo) against the TLS13 client.
///
/// Exit status: 0 success; 89 a flag or feature this shim does not implement (reason on stdout);
/// 1 failure (reason on stderr). See Docs/Interop.md, "BoGo".
@main
struct ShimMain {
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        switch ShimFlags.parse(Array(CommandLine.arguments.dropFirst())) {
        case .handshakerProbe:
            print("No")
            exit(0)
        case .invalid(let reason):
            printError("usage error: \(reason)")
            exit(1)
        case .unimplemented(let reason):
            unimplemented(reason)
        case .run(let flags):
            do throws(ShimOutcome) {
                try ShimTest(flags: flags).run()
                exit(0)
            } catch {
                switch error {
                case .unimplemented(let reason):
                    unimplemented(reason)
                case .failed(let reason):
                    printError(reason)
                    exit(1)
                }
            }
        }
    }

    /// Writes one line to stderr.
    static func printError(_ line: String) {
        FileHandle.standardError.write(Data("\(line)\n".utf8))
    }

    /// Prints the reason on stdout (and appends it to `$BOGO_SHIM_LOG`, if set), then exits 89.
    static func unimplemented(_ reason: String) -> Never {
        print("UNIMPLEMENTED: \(reason)")
        fflush(nil)
        if let path = ProcessInfo.processInfo.environment["BOGO_SHIM_LOG"],
            let handle = FileHandle(forWritingAtPath: path)
        {
            handle.seekToEndOfFile()
            handle.write(Data("\(reason)\n".utf8))
            try? handle.close()
        }
        exit(89)
    }
}
