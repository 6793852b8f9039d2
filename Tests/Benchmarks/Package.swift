// swift-tools-version: 6.1
// Benchmarks for rct, in their own package so the main build does not depend on package-benchmark.
// Run from the repository root with `make bench`.
import PackageDescription

// A path dependency is named after its folder, which differs between clones.
let rootFolder = #filePath.split(separator: "/").dropLast(3).last.map(String.init) ?? "rct"

let package = Package(
    name: "RCTBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Decoder",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "RCTProtocol", package: rootFolder),
                .product(name: "RCTSimulator", package: rootFolder),
            ],
            path: "Benchmarks/Decoder",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
