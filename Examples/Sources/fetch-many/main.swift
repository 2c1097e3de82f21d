// fetch-many CA_FILE URL...: fetches every https://host:port/path URL concurrently (one task each) and prints, per
// URL, the status line, the body's size and the negotiated cipher suite; exits 1 if any failed.
import Foundation
import TLS13

struct Fetched: Sendable {
    var status: String
    var bytes: Int
    var suite: CipherSuite
}

/// One GET: `https://host[:port][/path]`.
func fetch(_ url: String, configuration: TLSClientConfiguration) async throws -> Fetched {
    guard url.hasPrefix("https://") else { throw TLSError.invalidConfiguration("not an https URL: \(url)") }
    let rest = url.dropFirst("https://".count)
    let authority = String(rest.prefix { $0 != "/" })
    let path = rest.dropFirst(authority.count).isEmpty ? "/" : String(rest.dropFirst(authority.count))
    let connection = try await AsyncTLSConnection.connect(to: authority, defaultPort: 443, configuration: configuration)
    let host = authority.split(separator: ":").first.map(String.init) ?? authority
    try await connection.write(Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8))
    var response: [UInt8] = []
    while case let chunk = try await connection.read(), !chunk.isEmpty { response += chunk }
    await connection.close()
    let status = String(decoding: response.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
    return Fetched(status: status, bytes: response.count, suite: connection.connection.sessionInfo.cipherSuite)
}

let arguments = CommandLine.arguments.dropFirst()
guard let caFile = arguments.first, arguments.count >= 2 else {
    print("usage: fetch-many CA_FILE URL...")
    exit(2)
}
var configuration = TLSClientConfiguration()
configuration.trustRoots = .pemFile(caFile)
configuration.sessionCache = InMemorySessionCache()  // later connections to one server may resume

let results = await withTaskGroup(of: (String, Result<Fetched, any Error>).self) { group in
    for url in arguments.dropFirst() {
        group.addTask {
            do { return (url, .success(try await fetch(url, configuration: configuration))) } catch { return (url, .failure(error)) }
        }
    }
    var all: [(String, Result<Fetched, any Error>)] = []
    for await result in group { all.append(result) }
    return all
}
var failed = 0
for (url, result) in results.sorted(by: { $0.0 < $1.0 }) {
    switch result {
    case .success(let page): print("\(url): \(page.status), \(page.bytes) bytes, \(page.suite)")
    case .failure(let error):
        print("\(url): failed: \(error)")
        failed += 1
    }
}
exit(failed == 0 ? 0 : 1)
