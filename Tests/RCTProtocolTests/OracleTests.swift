import Foundation
import Testing
@testable import RCTProtocol

/// python rctclient, run as an external program through Tests/Oracle/rctclient_oracle.py.
///
/// The interpreter comes from RCT_PYTHON (set by `make test` to the project's virtual
/// environment). Without it the tests are skipped locally but fail under CI.
enum Oracle {
    static let python: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["RCT_PYTHON"], FileManager.default.isExecutableFile(atPath: path) { return path }
        let local = packageRoot() + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }()

    static let required = ProcessInfo.processInfo.environment["CI"] != nil

    /// Sends JSON requests, one per line, and returns the JSON answers.
    static func ask(_ requests: [[String: Any]]) throws -> [[String: Any]] {
        let python = try #require(python, "python rctclient is not set up: run 'make venv' or set RCT_PYTHON")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [packageRoot() + "/Tests/Oracle/rctclient_oracle.py"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var text = Data()
        for request in requests {
            text += try JSONSerialization.data(withJSONObject: request) + Data("\n".utf8)
        }
        // Write from another thread so a full output pipe cannot deadlock us.
        let writer = Thread { [text] in
            input.fileHandleForWriting.write(text)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = answer.split(separator: UInt8(ascii: "\n"))
        return try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]) }
    }
}

private func hexString(_ bytes: some Collection<UInt8>) -> String { HexText.format(bytes, separator: "").lowercased() }

@Suite("Cross-check with python rctclient", .enabled(if: Oracle.python != nil || Oracle.required))
struct OracleTests {
    @Test("Frames we encode are byte-identical to rctclient's")
    func framesMatch() throws {
        var rng = SplitMix64(seed: 2024)
        // rctclient builds plant frames only with short commands, and no payload on a READ.
        let supported: [Command] = [.write, .longWrite, .response, .longResponse, .readPeriodically,
                                    .plantWrite, .plantResponse]
        var sent: [Frame] = [Frame(command: .read, objectID: ObjectID(0x959930BF))]
        for _ in 0..<300 {
            var frame = randomFrame(using: &rng, maxPayload: 120)
            frame.command = supported.randomElement(using: &rng)!
            frame.address = frame.command.isPlant ? frame.address : 0
            frame.payload = Payload(frame.payload.prefix(Frame.maximumPayload(for: frame.command)))
            sent.append(frame)
        }
        let answers = try Oracle.ask(sent.map {
            ["op": "frame", "command": Int($0.command.rawValue), "id": Int($0.objectID.rawValue),
             "payload": hexString($0.payload), "address": Int($0.address)]
        })
        #expect(answers.count == sent.count)
        for (frame, answer) in zip(sent, answers) {
            #expect(answer["hex"] as? String == hexString(try frame.encoded()), "\(frame)")
        }
    }

    @Test("rctclient parses our stream into the same frames")
    func streamParsesAlike() throws {
        var rng = SplitMix64(seed: 99)
        let sent = (0..<200).map { _ -> Frame in
            var frame = randomFrame(using: &rng, maxPayload: 60)
            frame.command = [Command.response, .longResponse, .write, .plantResponse].randomElement(using: &rng)!
            frame.address = frame.command.isPlant ? frame.address : 0
            return frame
        }
        let stream = try sent.flatMap { try $0.encoded() }
        let answer = try #require(try Oracle.ask([["op": "parse", "hex": hexString(stream)]]).first)
        let parsed = try #require(answer["frames"] as? [[String: Any]])
        #expect(parsed.count == sent.count)
        for (frame, theirs) in zip(sent, parsed) {
            #expect(theirs["id"] as? Int == Int(frame.objectID.rawValue))
            #expect(theirs["command"] as? Int == Int(frame.command.rawValue))
            #expect(theirs["payload"] as? String == hexString(frame.payload))
            #expect(theirs["crc_ok"] as? Bool == true)
        }
        #expect(frames(decodeAll([stream])) == sent)
    }

    @Test("Scalar values decode and encode alike")
    func scalarsMatch() throws {
        var rng = SplitMix64(seed: 5)
        let types: [(DataType, String)] = [(.bool, "BOOL"), (.uint8, "UINT8"), (.int8, "INT8"), (.uint16, "UINT16"),
                                           (.int16, "INT16"), (.uint32, "UINT32"), (.int32, "INT32"),
                                           (.enumeration, "ENUM"), (.float, "FLOAT"), (.string, "STRING")]
        var cases: [(DataType, [UInt8])] = []
        var requests: [[String: Any]] = []
        for (type, name) in types {
            for _ in 0..<40 {
                var bytes = (0..<(type.fixedSize ?? 12)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if type == .string { bytes = Array("inverter \(UInt16.random(in: 0...999, using: &rng))".utf8) + [0, 0] }
                if type == .float, case let .float(number) = try ValueCodec.decode(bytes, as: .float), !number.isFinite {
                    continue
                }
                cases.append((type, bytes))
                requests.append(["op": "decode", "type": name, "hex": hexString(bytes)])
            }
        }
        let answers = try Oracle.ask(requests)
        #expect(answers.count == cases.count)
        for ((type, bytes), answer) in zip(cases, answers) {
            let ours = try ValueCodec.decode(bytes, as: type)
            switch ours {
            case let .bool(flag): #expect(answer["value"] as? Bool == flag)
            case let .integer(number): #expect((answer["value"] as? NSNumber)?.int64Value == number)
            case let .float(number): #expect((answer["value"] as? NSNumber)?.floatValue == number)
            case let .string(text): #expect(answer["value"] as? String == text)
            default: Issue.record("unexpected \(ours)")
            }
        }
        let encodeAnswers = try Oracle.ask([
            ["op": "encode", "type": "FLOAT", "value": -6000.0], ["op": "encode", "type": "ENUM", "value": 2],
            ["op": "encode", "type": "BOOL", "value": true], ["op": "encode", "type": "INT32", "value": -5],
        ])
        let ours = try [ValueCodec.encode(.float(-6000), as: .float), ValueCodec.encode(.integer(2), as: .enumeration),
                        ValueCodec.encode(.bool(true), as: .bool), ValueCodec.encode(.integer(-5), as: .int32)]
        #expect(encodeAnswers.map { $0["hex"] as? String } == ours.map(hexString))
    }

    @Test("Timeseries and event tables decode alike")
    func compositesMatch() throws {
        let series = Timeseries(requestedTime: 1_700_000_000, samples: (0..<5).map {
            .init(time: 1_700_000_000 - Int64($0) * 300, value: Float($0) / 4)
        })
        let table = EventTable(requestedTime: 1_700_000_000, events: [
            .init(type: 0x73, time: 1_699_990_000, elements: [0xF168_B748, 4, 2]),
        ])
        let seriesBytes = try ValueCodec.encode(.timeseries(series), as: .timeseries)
        let tableBytes = try ValueCodec.encode(.eventTable(table), as: .eventTable)
        let answers = try Oracle.ask([["op": "decode", "type": "TIMESERIES", "hex": hexString(seriesBytes)],
                                      ["op": "decode", "type": "EVENT_TABLE", "hex": hexString(tableBytes)]])
        #expect(answers[0]["time"] as? Int == 1_700_000_000)
        let rows = try #require(answers[0]["rows"] as? [[NSNumber]])
        #expect(rows.map { $0[0].int64Value } == series.samples.map(\.time))
        #expect(rows.map { $0[1].floatValue } == series.samples.map(\.value))
        let eventRows = try #require(answers[1]["rows"] as? [[NSNumber]])
        #expect(eventRows.first?.map(\.int64Value) == [1_699_990_000, 0x73, 0xF168_B748, 4, 2])
    }
}
