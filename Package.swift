// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "rct",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rct", targets: ["rct"]),
        .library(name: "RCTProtocol", targets: ["RCTProtocol"]),
        .library(name: "RCTTransport", targets: ["RCTTransport"]),
        .library(name: "RCTControl", targets: ["RCTControl"]),
        .library(name: "RCTSimulator", targets: ["RCTSimulator"]),
        .library(name: "RCTServe", targets: ["RCTServe"]),
        .library(name: "RCTCapture", targets: ["RCTCapture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(name: "RCTProtocol"),
        .systemLibrary(
            name: "CUdev",
            pkgConfig: "libudev",
            providers: [.apt(["libudev-dev"])]
        ),
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        .systemLibrary(
            name: "CModbus",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]
        ),
        .target(
            name: "RCTTransport",
            dependencies: [
                "RCTProtocol", "CUdev", "CModbus",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .target(name: "RCTCapture", dependencies: ["CPcap"]),
        .target(name: "RCTControl", dependencies: ["RCTProtocol", "RCTTransport"]),
        .target(name: "RCTSimulator", dependencies: ["RCTProtocol", "RCTTransport"]),
        .target(
            name: "RCTServe",
            dependencies: [
                "RCTProtocol", "RCTTransport", "RCTControl", "RCTCapture", "CMosquitto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["Web/vendor/README.md", "Web/vendor/LICENSE.dygraphs"],
            // The web page's files, built into the binary (Documentation/Web.md).
            resources: [
                .embedInCode("Web/index.html"), .embedInCode("Web/app.js"), .embedInCode("Web/app.css"),
                .embedInCode("Web/vendor/dygraph.min.js"), .embedInCode("Web/vendor/dygraph.min.css"),
            ]
        ),
        .executableTarget(
            name: "rct",
            dependencies: [
                "RCTProtocol", "RCTTransport", "RCTControl", "RCTSimulator", "RCTServe", "RCTCapture",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RCTTestSupport",
            dependencies: ["RCTProtocol", "RCTTransport", "RCTSimulator"],
            path: "Tests/RCTTestSupport"
        ),
        .testTarget(name: "RCTProtocolTests", dependencies: ["RCTProtocol", "RCTSimulator", "RCTTestSupport"]),
        .testTarget(name: "RCTTransportTests", dependencies: ["RCTTransport", "RCTControl", "RCTSimulator", "RCTTestSupport"]),
        .testTarget(name: "RCTCommandTests", dependencies: ["RCTProtocol", "RCTSimulator", "RCTTestSupport"]),
        .testTarget(name: "RCTCaptureTests", dependencies: ["RCTCapture"]),
        .testTarget(name: "RCTServeTests", dependencies: [
            "RCTServe", "RCTProtocol", "RCTControl", "RCTSimulator",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
