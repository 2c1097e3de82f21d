// Renders a trace's JSON (stdin) as its HTML page (stdout) with the CLI's own TraceHTML, compiled with swiftc
// beside Sources/TLS13CLI/Trace/{JSONValue,JSONParser,TraceHTML,TraceHTMLAssets}.swift by
// Scripts/trace-screenshot.sh. Standard library only, like the renderer.
@main struct TraceHTMLRender {
    static func main() {
        var text = ""
        while let line = readLine(strippingNewline: false) { text += line }
        do {
            print(TraceHTML.render(try JSONValue(parsing: text)), terminator: "")
        } catch {
            let message = Array("trace-html-render: \(error)\n".utf8)
            _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            exit(1)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
