// engine-pump HOST PORT CA_FILE: an HTTP GET through TLSClientEngine — the client without I/O — over a socket this
// program connected, the bytes moved by a few lines of code; prints the response.
import ExampleSupport
import Foundation
import TLS13

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = UInt16(arguments[2]) else {
    print("usage: engine-pump HOST PORT CA_FILE")
    exit(2)
}
let fd = connectSocket(arguments[1], port)
var config = TLSClientConfiguration()
config.trustRoots = .pemFile(arguments[3])
do {
    let engine = try TLSClientEngine(serverName: "localhost", port: port, configuration: config)
    /// Sends what the engine has to say, then hands it what the server sent.
    func pump() throws {
        if engine.hasPendingOutput { sendAll(fd, try engine.takeOutput()) }
        let bytes = receiveSome(fd)
        if bytes.isEmpty { try engine.receiveEndOfStream() } else { try engine.receive(bytes) }
    }
    while !engine.isHandshakeComplete { try pump() }
    print("handshake: \(engine.sessionInfo.cipherSuite), \(engine.sessionInfo.group.map { "\($0)" } ?? "PSK")")
    try engine.write(Array("GET / HTTP/1.0\r\n\r\n".utf8))
    var response: [UInt8] = []
    while true {
        if let data = try engine.readApplicationData() {
            if data.isEmpty { break }  // the server's close_notify
            response += data
        } else {
            try pump()
        }
    }
    engine.close()
    sendAll(fd, try engine.takeOutput())
    print(String(decoding: response, as: UTF8.self))
} catch {
    print("engine-pump: \(error)")
    exit(1)
}
close(fd)
