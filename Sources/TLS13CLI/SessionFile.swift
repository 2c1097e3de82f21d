import ArgumentParser
import Glibc
import TLS13

/// The `--sess-out` / `--sess-in` file: ``TLSSession/serialized()`` in base64 between
/// `-----BEGIN TLS13 SESSION-----` and `-----END TLS13 SESSION-----` lines (64 characters a line).
///
/// The file holds the resumption PSK, so it is written with mode 0600: to a new temporary file in the same
/// folder (created 0600 by `mkstemp`), then renamed over the target, so a reader never sees half a file and
/// an existing file's wider mode is not kept.
enum SessionFile {
    static let beginLine = "-----BEGIN TLS13 SESSION-----"
    static let endLine = "-----END TLS13 SESSION-----"

    /// The armored text of `bytes` (ends with a newline).
    static func armor(_ bytes: [UInt8]) -> String {
        let base64 = Base64.encode(bytes, lineLength: 64)
        return "\(beginLine)\n\(base64)\n\(endLine)\n"
    }

    /// The bytes between the armor lines; text outside them is ignored, whitespace inside too.
    static func dearmor(_ text: String) -> [UInt8]? {
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
            .map { $0.trimmingSpaces() }
        guard let begin = lines.firstIndex(of: beginLine),
              let end = lines[(begin + 1)...].firstIndex(of: endLine)
        else { return nil }
        let body = lines[(begin + 1)..<end].joined()
        guard !body.isEmpty else { return nil }
        return Base64.decode(body)
    }

    /// Reads the session saved in `path`.
    /// - Throws: ``CLIFailure`` with ``ExitStatus/usage`` when the file cannot be read, is not safe to trust
    ///   (``checkOwnership(_:)``), or holds no session.
    static func read(_ path: String) throws(CLIFailure) -> TLSSession {
        try checkOwnership(path)
        guard let contents = StandardStreams.readFile(path, limit: 1 << 20) else {
            throw CLIFailure(.usage, "cannot read --sess-in file \(path): \(Posix.errorText())")
        }
        let text = String(decoding: contents, as: UTF8.self)
        guard let bytes = dearmor(text) else {
            throw CLIFailure(.usage, "--sess-in file \(path) holds no \(beginLine) block")
        }
        do {
            return try TLSSession(serialized: bytes)
        } catch {
            throw CLIFailure(.usage, "--sess-in file \(path): \(error.description)")
        }
    }

    /// Refuses a session file that someone else could have written, as ssh refuses such a key file: one that is
    /// writable by its group or by others, or owned by another user (root's files are accepted for root only).
    /// A session is a bearer credential: whoever can replace the file chooses which server and which keys the next
    /// connection trusts for resumption, so its integrity matters as much as its secrecy.
    static func checkOwnership(_ path: String) throws(CLIFailure) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CLIFailure(.usage, "cannot read --sess-in file \(path): \(String(cString: strerror(errno)))")
        }
        let mode = info.st_mode & 0o7777
        if info.st_uid != geteuid() {
            throw CLIFailure(.usage, "--sess-in file \(path) is owned by uid \(info.st_uid), not by you (uid \(geteuid())): "
                + "a session file is a credential; use one you wrote with --sess-out")
        }
        if mode & 0o022 != 0 {
            throw CLIFailure(.usage, "--sess-in file \(path) is writable by \(mode & 0o002 != 0 ? "others" : "its group") "
                + "(mode \(String(mode, radix: 8))): a session file is a credential; chmod 600 \(path)")
        }
    }

    /// Writes `session` to `path` with mode 0600, replacing the file atomically.
    /// - Throws: ``CLIFailure`` with ``ExitStatus/tlsFailure`` (a failed write of the output).
    static func write(_ session: TLSSession, to path: String) throws(CLIFailure) {
        let bytes = Array(armor(session.serialized()).utf8)
        var template = Array("\(directory(of: path))/.tls13-session-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkstemp($0) } ?? -1
        }
        guard fd >= 0 else {
            throw CLIFailure(.tlsFailure, "cannot write --sess-out file \(path): \(String(cString: strerror(errno)))")
        }
        // mkstemp replaced the X's in place; the name is the bytes before the terminating NUL.
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let written = fchmod(fd, 0o600) == 0 && StandardStreams.write(bytes, to: fd)
        let failure = errno
        guard close(fd) == 0, written, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(written ? errno : failure))
            unlink(temporary)
            throw CLIFailure(.tlsFailure, "cannot write --sess-out file \(path): \(reason)")
        }
    }

    /// The folder a file `path` would be created in (`.` for a bare name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    /// A usage error unless a file can be created in the folder of `path` (checked before connecting).
    static func checkWritable(_ path: String) throws {
        let folder = directory(of: path)
        guard Posix.isDirectory(folder), access(folder, W_OK) == 0 else {
            throw ValidationError("--sess-out \(path): cannot create a file in \(folder)")
        }
        if Posix.isDirectory(path) {
            throw ValidationError("--sess-out \(path) is a directory")
        }
    }
}
