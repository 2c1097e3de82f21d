// swift-tools-version:6.0
// The SwiftNIO comparison: TLS13ClientHandler (this repository's TLS13NIO) against swift-nio-ssl's
// NIOSSLClientHandler in the same pipeline, on the same work. A package of its own so that swift-nio-ssl (which
// vendors BoringSSL and is slow to build) never enters the root package or CI. Run by Scripts/bench-nio.sh.
import PackageDescription

let package = Package(
    name: "nio-bench",
    dependencies: [
        .package(name: "swift-tls13", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
    ],
    targets: [
        .executableTarget(
            name: "nio-bench",
            dependencies: [
                .product(name: "TLS13", package: "swift-tls13"),
                .product(name: "TLS13NIO", package: "swift-tls13"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
