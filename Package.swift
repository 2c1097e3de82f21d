// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-tls13",
    products: [
        .library(name: "TLS13", targets: ["TLS13"]),
        .executable(name: "tls13", targets: ["TLS13CLI"]),
        .executable(name: "tls13-bogo-shim", targets: ["BoGoShim"]),
        .library(name: "TLS13Capture", targets: ["TLS13Capture"]),
        // TLS13ClientHandler: a SwiftNIO ChannelHandler on the engine. A product of its own, so that the TLS13
        // library stays free of NIO.
        .library(name: "TLS13NIO", targets: ["TLS13NIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The library's optional logger (TLSClientConfiguration.logger): the trace's events at debug level.
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // ML-KEM-768 for the X25519MLKEM768 hybrid (its vendored BoringSSL, through Sources/CMLKEM); everything
        // else is libcrypto.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        // `swift package generate-documentation --target TLS13` (Scripts/docc.sh): the DocC catalog
        // Sources/TLS13/TLS13.docc. A command plugin: nothing of it is linked into any product.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // TLS13NIO only (NIOCore, NIOTLS); NIOPosix and NIOEmbedded for its tests. The TLS13 library never uses it.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        // libcrypto only: everything that is TLS is ours, in Swift.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Certificate compression (RFC 8879): zlib, brotli and zstd from the system, for Sources/TLS13/Compression/
        // only (the decompressors; the encoders serve the tests and measurements).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBrotli", pkgConfig: "libbrotlidec", providers: [.apt(["libbrotli-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // epoll and eventfd (Linux headers Swift's Glibc module leaves out): AsyncTLSConnection's readiness loop.
        .systemLibrary(name: "CEpoll"),
        // ML-KEM-768 called straight in the BoringSSL that swift-crypto vendors and links (see its header): key
        // generation and decapsulation for X25519MLKEM768 without swift-crypto's Swift layer.
        .target(name: "CMLKEM", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "TLS13",
            dependencies: [
                "COpenSSL", "CZlib", "CBrotli", "CZstd", "CEpoll",
                "CMLKEM",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "TLS13CLI",
            dependencies: [
                "TLS13",
                // `tls13 trace --packets`: libpcap stays out of the TLS13 library.
                "TLS13Capture",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The BoGo shim: runs BoringSSL's TLS test suite against the client (Docs/Interop.md, "BoGo").
        .executableTarget(
            name: "BoGoShim",
            dependencies: ["TLS13"]
        ),
        // libpcap, for the packet capture of `tls13 trace --packets` (Docs/Capture.md): its headers (Debian
        // libpcap-dev) at build time, the library itself loaded with dlopen when a capture starts, so a `tls13`
        // process that captures nothing does not load it. Only TLS13Capture depends on it: the TLS13 library never
        // uses libpcap.
        .target(
            name: "CPcap",
            linkerSettings: [.linkedLibrary("dl")]
        ),
        // Live capture of one TCP connection, TCP segment decoding, and a pcapng writer with a Decryption Secrets
        // Block. Independent of TLS13.
        .target(
            name: "TLS13Capture",
            dependencies: ["CPcap"]
        ),
        // The SwiftNIO client handler (Docs/Architecture.md, "TLS13NIO"): TLS13's public API and NIOCore only.
        .target(
            name: "TLS13NIO",
            dependencies: [
                "TLS13",
                .product(name: "NIOCore", package: "swift-nio"),
                // TLSUserEvent: the handshake-completed and shutdown events swift-nio-ssl fires too.
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        // Test helpers shared by the test targets (openssl s_server on a free port, the test PKI, runBlocking);
        // public API of the library only, so the public-API tests can use them.
        .target(
            name: "TLS13TestSupport",
            path: "Tests/TLS13TestSupport"
        ),
        .testTarget(
            name: "TLS13Tests",
            // TLS13CLI: unit tests of the CLI's HTTP parser, URL and option handling (`@testable import`).
            // BoGoShim: unit tests of the shim's flag parsing.
            // Crypto: ML-KEM encapsulation, the server's half of X25519MLKEM768 in the in-process test server.
            // CZlib, CBrotli, CZstd: the streaming encoders that make the decompression bombs.
            dependencies: [
                "TLS13", "TLS13CLI", "BoGoShim", "TLS13TestSupport", .product(name: "Crypto", package: "swift-crypto"),
                "CZlib", "CBrotli", "CZstd",
            ],
            // Support/: the tlslite-ng server script (Python) the hybrid and interop tests start.
            exclude: ["Vectors", "Support"]
        ),
        // The public API only (no @testable): hostile arguments, closed connections, stuck peers.
        .testTarget(
            name: "TLS13APITests",
            dependencies: ["TLS13", "TLS13TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        // The NIO handler in EmbeddedChannel and in real pipelines against openssl s_server and gnutls-serv.
        // TLS13CLI: its gnutls-serv launcher (the listening port from /proc).
        .testTarget(
            name: "TLS13NIOTests",
            dependencies: [
                "TLS13NIO", "TLS13", "TLS13TestSupport", "TLS13CLI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        // Capture on loopback (as root; TLS13_CAPTURE_DENY=1 for the refused path), TCP decoding, pcapng + tshark.
        .testTarget(
            name: "TLS13CaptureTests",
            dependencies: ["TLS13Capture", "TLS13TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
