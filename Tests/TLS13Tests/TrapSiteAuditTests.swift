import Foundation
import Testing

/// Every `precondition`, `preconditionFailure` and `fatalError` in the library (outside `Fuzzing/`) is listed in
/// `Docs/Security.md`, "No traps or hangs from the public API", with the reason no caller or peer input reaches it;
/// there is no `try!` or `as!`. A new trap site, or one removed, fails this test until the table says why.
@Suite struct TrapSiteAuditTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// "File.swift | message" for each trap site in `Sources/TLS13`.
    static func sites() throws -> [String] {
        let sources = root.appendingPathComponent("Sources/TLS13")
        var result: [String] = []
        guard let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else { return [] }
        for case let url as URL in walker where url.pathExtension == "swift" && !url.path.contains("/Fuzzing/") {
            let text = try String(contentsOf: url, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                for call in ["precondition(", "preconditionFailure(", "fatalError("] where code.contains(call) {
                    // The message: the first string literal on the line.
                    let parts = code.split(separator: "\"", omittingEmptySubsequences: false)
                    let message = parts.count >= 3 ? String(parts[1]) : "(no message)"
                    result.append("\(url.lastPathComponent) | \(message)")
                }
                #expect(!code.contains("try!") && !code.contains("as!"), "\(url.lastPathComponent): \(code)")
            }
        }
        return result.sorted()
    }

    @Test func everyTrapSiteIsDocumented() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("Docs/Security.md"), encoding: .utf8)
        guard let start = doc.range(of: "<!-- trap-sites:start -->"), let end = doc.range(of: "<!-- trap-sites:end -->") else {
            Issue.record("Docs/Security.md has no trap-sites markers")
            return
        }
        var documented: [String] = []
        for line in doc[start.upperBound..<end.lowerBound].split(separator: "\n") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells[1].hasSuffix(".swift") else { continue }
            let check = cells[2].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            #expect(!cells[3].isEmpty, "\(cells[1]) \(check): no reason given")
            documented.append("\(cells[1]) | \(check)")
        }
        let found = try Self.sites()
        #expect(found.count > 20, "the scan found \(found.count) sites: is Sources/TLS13 where it was?")
        #expect(documented.sorted() == found,
                "undocumented: \(Set(found).subtracting(documented).sorted()); gone: \(Set(documented).subtracting(found).sorted())")
    }
}
