// Temporary until the HTML view lands (branch trace-html): the trace as JSON inside a minimal page.
enum TraceHTML {
    static func render(_ trace: JSONValue) -> String {
        "<!doctype html><meta charset=utf-8><title>tls13 trace</title><pre id=trace>" + trace.text(pretty: true)
            .replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;") + "</pre>\n"
    }
}
