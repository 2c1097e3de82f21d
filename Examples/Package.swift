// swift-tools-version:6.0
// Examples of the TLS13 library, as a package of their own that depends on it by path: only its public API is
// reachable here. Scripts/examples.sh builds them and runs each against a local server; CI runs that script.
import PackageDescription

let package = Package(
    name: "swift-tls13-examples",
    dependencies: [
        .package(name: "swift-tls13", path: ".."),
        // nio-http-client: NIOPosix and NIOHTTP1 (the TLS13NIO product brings NIOCore).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        // An HTTPS GET with the async API, in under 25 lines.
        .executableTarget(name: "https-get", dependencies: [.product(name: "TLS13", package: "swift-tls13")]),
        // N URLs fetched concurrently, one task each.
        .executableTarget(name: "fetch-many", dependencies: [.product(name: "TLS13", package: "swift-tls13")]),
        // SMTP STARTTLS: plaintext on a socket this program connected, then TLS on the same socket.
        .executableTarget(
            name: "starttls", dependencies: ["ExampleSupport", .product(name: "TLS13", package: "swift-tls13")]),
        // The client without I/O (TLSClientEngine), pumped over a socket by a few lines of code.
        .executableTarget(
            name: "engine-pump", dependencies: ["ExampleSupport", .product(name: "TLS13", package: "swift-tls13")]),
        // A plain TCP socket for the two above (no TLS in it).
        .target(name: "ExampleSupport"),
        // An HTTP/1.1 GET with SwiftNIO: TLS13ClientHandler below NIOHTTP1, through NIOAsyncChannel.
        .executableTarget(
            name: "nio-http-client",
            dependencies: [
                .product(name: "TLS13", package: "swift-tls13"),
                .product(name: "TLS13NIO", package: "swift-tls13"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Client-certificate login, the certificate and key read into memory.
        .executableTarget(name: "client-cert", dependencies: [.product(name: "TLS13", package: "swift-tls13")]),
    ],
    swiftLanguageModes: [.v6]
)
