import Foundation
import Testing
import RCTProtocol
import RCTSimulator
import RCTTestSupport

/// `rct decode FILE` decodes a large file in parts on every core; standard input is decoded in
/// one piece. Both must write the same bytes.
@Suite("Decoding a file in parts")
struct PartedDecodeTests {
    /// Where a part starts: every 256 KiB of the file (PartedDecode.partSize).
    static let partSize = 256 << 10

    /// About 1.3 MiB: noisy stretches with every kind of trouble, and one stretch where the
    /// part decoded on its own cannot join the decoder coming through (a frame whose last byte
    /// begins the bootloader signature stands across the second part's first byte, and no
    /// noise follows for the rest of that part), so it is decoded again to its end.
    static func capture(seed: UInt64) throws -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        let known: [UInt32] = [0x959930BF, 0x91617C58, 0x5293B668, 0x1AD9725D, 0xDB2D69AE, 0x400F015B]
        func frame(clean: Bool) throws -> [UInt8] {
            let id = Bool.random(using: &rng) ? known.randomElement(using: &rng)! : UInt32.random(in: 0...UInt32.max, using: &rng)
            let command: Command = [.response, .read, .write, .longResponse, .plantResponse].randomElement(using: &rng)!
            let payload = (0..<[0, 4, 4, 4, 24].randomElement(using: &rng)!).map { _ in
                clean ? UInt8.random(in: 0x30...0x39, using: &rng) : UInt8.random(in: 0...255, using: &rng)
            }
            return try Frame(command: command, objectID: ObjectID(id), payload: payload, address: 7).encoded()
        }
        func trouble() throws -> [UInt8] {
            switch Int.random(in: 0..<12, using: &rng) {
            case 0: return (0..<Int.random(in: 1...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1: return Array(repeating: 0x41, count: Int.random(in: 250...700, using: &rng))
            case 2:
                var wire = try frame(clean: false)
                wire[Int.random(in: 1..<wire.count, using: &rng)] ^= 0x10
                return wire
            case 3: return Array(try frame(clean: false).dropLast(3))
            case 4: return [0x50, 0xF7, 0x05, 0xAB]
            case 5: return [0x00]
            default: return try frame(clean: false)
            }
        }
        let tail = try #require(frameEndingInSignatureStart())
        var stream: [UInt8] = []
        while stream.count < partSize - 1000 { stream += try trouble() }
        stream += Array(repeating: 0x00, count: partSize - 3 - stream.count) + tail
        while stream.count < 2 * partSize + 20_000 { stream += try frame(clean: true) }
        while stream.count < 5 * partSize + 70_000 { stream += try trouble() }
        return stream
    }

    @Test("A file decoded in parts gives the bytes its decode from standard input gives, text and JSON",
          arguments: [(UInt64(1), false), (2, true), (3, false)])
    func partsGiveTheSameLines(seed: UInt64, asJSON: Bool) throws {
        let stream = try Self.capture(seed: seed)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rct-parts-\(getpid())-\(seed).bin").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(stream)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let format = asJSON ? ["--json"] : []
        let parted = try rct(arguments: ["decode", path] + format, timeout: 120)
        // Standard input from the same file: read in the same 64 KiB blocks, in one piece.
        let whole = try RCTBinary.run(["decode"] + format, timeout: 120, prefix: ["/bin/sh", "-c", "exec \"$0\" \"$@\" < \"\(path)\""])
        #expect(parted.status == 0 && whole.status == 0, "\(parted.stderr) \(whole.stderr)")
        #expect(parted.stderr.isEmpty)
        #expect(parted.lines.count > 20_000)
        #expect(parted.stdout == whole.stdout)
        // The trouble is there to be joined over: diagnostics and frames in every part.
        for kind in ["skipped", "CRC", "BOOTLOADER", "crc ok"] where !asJSON {
            #expect(parted.lines.contains { $0.contains(kind) }, "\(kind)")
        }
        // The frames run in stream order, and the one across the first edge is whole.
        let frameOffsets = parted.lines.compactMap { line -> Int? in
            guard asJSON else { return line.hasSuffix("crc ok") ? Int(line.prefix(8), radix: 16) : nil }
            let object = (try? json(line)) as? [String: Any]
            return object?["command"] == nil ? nil : object?["offset"] as? Int
        }
        #expect(frameOffsets.count > 10_000)
        #expect(zip(frameOffsets, frameOffsets.dropFirst()).allSatisfy { $0 < $1 })
        #expect(frameOffsets.contains(Self.partSize - 3))
    }

    @Test("A named pipe is decoded whole: its first bytes are not taken to look for a capture's magic number")
    func namedPipe() throws {
        let frame = try Frame(command: .response, objectID: ObjectID(0x959930BF), payload: [0x3F, 0x1E, 0xC0, 0x00]).encoded()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rct-pipe-\(getpid()).bin").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Array(repeating: frame, count: 3).flatMap { $0 })))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try rct("decode", path)
        let fromPipe = try RCTBinary.run(["decode"], prefix: ["/bin/bash", "-c", "exec \"$0\" \"$@\" <(cat \"\(path)\")"])
        #expect(fromFile.status == 0 && fromPipe.status == 0, "\(fromPipe.stderr)")
        #expect(fromFile.lines.count == 3)
        #expect(fromPipe.stdout == fromFile.stdout)
    }
}
