import Foundation
import Testing
@testable import RCTProtocol

/// Every input in Tests/Fuzz/regressions (crashes the fuzzer found, and hand-made edge
/// cases) is replayed through the decoder in every chunk size the fuzzer uses.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let directory = packageRoot() + "/Tests/Fuzz/regressions"

    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    @Test("There are regression inputs to replay")
    func inputsPresent() {
        #expect(Self.inputs.count >= 3)
    }

    @Test("Each input decodes without crashing, with offsets inside the stream", arguments: inputs)
    func replay(name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.directory + "/" + name)))
        for step in 1...23 {
            let chunks = stride(from: 0, to: bytes.count, by: step).map { Array(bytes[$0..<min(bytes.count, $0 + step)]) }
            let outputs = decodeAll(chunks, maximumLength: 512)
            for output in outputs {
                #expect(output.offset >= 0 && output.offset <= bytes.count)
                if case let .frame(decoded) = output {
                    #expect(decoded.offset + decoded.wireLength <= bytes.count)
                }
            }
            #expect(frames(outputs) == frames(decodeAll([bytes], maximumLength: 512)), "step \(step)")
        }
    }
}
