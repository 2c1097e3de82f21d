// client-cert HOST PORT CA_FILE CERT_CHAIN_PEM KEY_PEM: logs in with a client certificate whose chain and key are
// read into memory (as they would come from a keychain or a secrets store), sends one HTTP GET and prints the reply.
import Foundation
import TLS13

let arguments = CommandLine.arguments
guard arguments.count == 6, let port = UInt16(arguments[2]),
      let chain = FileManager.default.contents(atPath: arguments[4]),
      let key = FileManager.default.contents(atPath: arguments[5])
else {
    print("usage: client-cert HOST PORT CA_FILE CERT_CHAIN_PEM KEY_PEM")
    exit(2)
}
do {
    var config = TLSClientConfiguration()
    config.trustRoots = .pem([UInt8](try Data(contentsOf: URL(fileURLWithPath: arguments[3]))))
    config.clientCertificate = try TLSClientCertificate(certificateChainPEM: [UInt8](chain), privateKeyPEM: [UInt8](key))
    let connection = try TLSConnection.connect(host: arguments[1], port: port, configuration: config)
    defer { connection.close() }
    try connection.write(Array("GET / HTTP/1.0\r\n\r\n".utf8))
    var response: [UInt8] = []
    while case let chunk = try connection.read(), !chunk.isEmpty { response += chunk }
    print("client certificate sent: \(connection.sessionInfo.clientCertificateSent)")
    print(String(decoding: response, as: UTF8.self))
} catch {
    print("client-cert: \(error)")
    exit(1)
}
