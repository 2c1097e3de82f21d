// nio-bench: the same client work through two TLS handlers in the same NIO pipeline, client CPU measured with
// getrusage (user + sys, all threads of this process), against Benchmarks/bench-server (libssl: after the
// handshake it reads "GET /N\n", writes N bytes, sends close_notify and closes).
//
//   nio-bench full tls13|nio-ssl PORT N CA_FILE [--chain-cache]   N sequential full handshakes, 0 bytes each
//   nio-bench bulk tls13|nio-ssl PORT MIB CA_FILE                 one connection reading MIB MiB
//
// Both verify the server's chain (leaf + intermediate) against CA_FILE and the name "localhost", offer the groups
// x25519, secp256r1, secp384r1 with an x25519 key share, and keep no sessions (every handshake is a full one).
// Ours runs with the verified-chain cache off unless --chain-cache (on by default in the library). One warm-up
// connection precedes the measured ones. Prints one line of key=value pairs; exits 1 if any connection failed.
import Glibc
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import TLS13
import TLS13NIO

/// Counts what arrives above the TLS handler; sends the request once the handshake is done; reports at the end.
final class Sink: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    struct Outcome: Sendable {
        var bytes = 0
        var handshake = false
        var errors: [String] = []
    }
    let request: String
    let done: EventLoopPromise<Outcome>
    var outcome = Outcome()
    init(request: String, done: EventLoopPromise<Outcome>) {
        self.request = request
        self.done = done
    }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            outcome.handshake = true
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        outcome.bytes += unwrapInboundIn(data).readableBytes
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        outcome.errors.append("\(error)")
        context.close(promise: nil)
    }
    func channelInactive(context: ChannelHandlerContext) {
        done.succeed(outcome)
    }
}

enum Implementation: String {
    case tls13, nioSSL = "nio-ssl"
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

func wallSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// Writes a line to standard error.
func printError(_ message: String) {
    var line = "nio-bench: \(message)\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    printError(message)
    exit(1)
}

let args = CommandLine.arguments
guard args.count >= 6, let implementation = Implementation(rawValue: args[2]), let port = Int(args[3]),
    let amount = Int(args[4]), amount > 0, ["full", "bulk"].contains(args[1])
else {
    fail("usage: nio-bench full|bulk tls13|nio-ssl PORT N|MIB CA_FILE [--chain-cache]")
}
let mode = args[1]
let caFile = args[5]
let chainCache = args.dropFirst(6).contains("--chain-cache")

var ours = TLSClientConfiguration()
ours.trustRoots = .pemFile(caFile)
ours.supportedGroups = [.x25519, .secp256r1, .secp384r1]
ours.keyShareGroups = [.x25519]
ours.keyShareHints = nil
ours.verifiedChainCacheLifetime = chainCache ? 3600 : nil
let oursConfiguration = ours

var theirs = TLSConfiguration.makeClientConfiguration()
theirs.minimumTLSVersion = .tlsv13
theirs.trustRoots = .file(caFile)
theirs.curves = [.x25519, .secp256r1, .secp384r1]
let sslContext: NIOSSLContext
do { sslContext = try NIOSSLContext(configuration: theirs) } catch { fail("NIOSSLContext: \(error)") }

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

/// One connection: handshake, "GET /bytes", read to the end.
func connection(bytes: Int) -> Sink.Outcome {
    let loop = group.next()
    let done = loop.makePromise(of: Sink.Outcome.self)
    let request = "GET /\(bytes)\n"
    let bootstrap = ClientBootstrap(group: loop).channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            switch implementation {
            case .tls13:
                try channel.pipeline.syncOperations.addHandler(
                    TLS13ClientHandler(configuration: oursConfiguration, serverName: "localhost"))
            case .nioSSL:
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: sslContext, serverHostname: "localhost"))
            }
            try channel.pipeline.syncOperations.addHandler(Sink(request: request, done: done))
        }
    }
    do {
        _ = try bootstrap.connect(host: "127.0.0.1", port: port).wait()
        return try done.futureResult.wait()
    } catch {
        return Sink.Outcome(errors: ["\(error)"])
    }
}

let perConnection = mode == "full" ? 0 : amount << 20
let count = mode == "full" ? amount : 1
let warm = connection(bytes: 0)
guard warm.handshake else { fail("warm-up connection failed: \(warm.errors)") }

var failures = 0
var errors: [String] = []
let cpu0 = cpuSeconds()
let wall0 = wallSeconds()
for _ in 0..<count {
    let outcome = connection(bytes: perConnection)
    if !outcome.handshake || outcome.bytes != perConnection { failures += 1 }
    errors += outcome.errors
}
let cpu = cpuSeconds() - cpu0
let wall = wallSeconds() - wall0
try? group.syncShutdownGracefully()

var line = "impl=\(implementation.rawValue) mode=\(mode) connections=\(count) failures=\(failures)"
line += " errors=\(errors.count) cpu_s=\(cpu) wall_s=\(wall)"
if mode == "full" {
    line += " cpu_ms_per_handshake=\(cpu * 1000 / Double(count))"
} else {
    line += " mib=\(amount) cpu_s_per_gib=\(cpu * 1024 / Double(amount))"
}
line += implementation == .tls13 ? " chain_cache=\(chainCache)" : ""
print(line)
if let first = errors.first { printError("first error: \(first)") }
exit(failures == 0 ? 0 : 1)
