// https-get HOST PORT [PATH] [CA_FILE]: one HTTP/1.1 GET over TLS 1.3; the response goes to stdout.
import Foundation  // exit
import TLS13

let args = CommandLine.arguments
guard args.count >= 3, let port = UInt16(args[2]) else { fatalError("usage: https-get HOST PORT [PATH] [CA_FILE]") }
var config = TLSClientConfiguration()
if args.count > 4 { config.trustRoots = .pemFile(args[4]) }  // default: the system's trust store
config.applicationProtocols = ["http/1.1"]
do {
    let connection = try await AsyncTLSConnection.connect(host: args[1], port: port, configuration: config)
    let path = args.count > 3 ? args[3] : "/"
    try await connection.write(Array("GET \(path) HTTP/1.1\r\nHost: \(args[1])\r\nConnection: close\r\n\r\n".utf8))
    while case let chunk = try await connection.read(), !chunk.isEmpty {
        print(String(decoding: chunk, as: UTF8.self), terminator: "")
    }
    await connection.close()
} catch {
    print("https-get: \(error)")
    exit(1)
}
