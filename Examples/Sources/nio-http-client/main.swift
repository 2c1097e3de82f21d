// nio-http-client HOST PORT [PATH] [CA_FILE]: one HTTP/1.1 GET with SwiftNIO — TLS13ClientHandler at the bottom of
// the pipeline, NIOHTTP1's client handlers above it, used through NIOAsyncChannel. Prints the status line, the
// negotiated TLS parameters and the body.
import Foundation  // exit
import NIOCore
import NIOHTTP1
import NIOPosix
import TLS13
import TLS13NIO

let args = CommandLine.arguments
guard args.count >= 3, let port = Int(args[2]) else {
    print("usage: nio-http-client HOST PORT [PATH] [CA_FILE]")
    exit(2)
}
let host = args[1]
let path = args.count > 3 ? args[3] : "/"
let configuration = {
    var configuration = TLSClientConfiguration()
    if args.count > 4 { configuration.trustRoots = .pemFile(args[4]) }  // default: the system's trust store
    configuration.applicationProtocols = ["http/1.1"]
    return configuration
}()

do {
    let (channel, handshake) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: host, port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                // TLS first (next to the socket), HTTP above it.
                let tls = try TLS13ClientHandler(configuration: configuration, serverName: host)
                try channel.pipeline.syncOperations.addHandler(tls)
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                let http = try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                    wrappingChannelSynchronously: channel)
                return (http, tls.handshakeCompleted(on: channel.eventLoop))
            }
        }
    try await channel.executeThenClose { inbound, outbound in
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "Connection", value: "close")
        // Written at once: the handler holds it until the handshake has completed.
        try await outbound.write(.head(head))
        try await outbound.write(.end(nil))
        var body = ByteBuffer()
        for try await part in inbound {
            switch part {
            case .head(let response):
                print("\(response.version) \(response.status.code) \(response.status.reasonPhrase)")
                let tls = try await handshake.get()
                print("tls: \(tls.cipherSuite), ALPN \(tls.applicationProtocol ?? "none"), "
                    + "certificate verified: \(tls.certificateVerified)")
            case .body(var chunk):
                body.writeBuffer(&chunk)
            case .end:
                print(body.readString(length: body.readableBytes) ?? "")
                return
            }
        }
    }
} catch {
    print("nio-http-client: \(error)")
    exit(1)
}
