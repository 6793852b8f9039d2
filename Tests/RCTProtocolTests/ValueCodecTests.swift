import Testing
@testable import RCTProtocol

@Suite("Value codec")
struct ValueCodecTests {
    static let scalars: [(DataType, Value, [UInt8])] = [
        (.bool, .bool(true), [1]),
        (.bool, .bool(false), [0]),
        (.uint8, .integer(200), [200]),
        (.int8, .integer(-2), [0xFE]),
        (.enumeration, .integer(4), [4]),
        (.uint16, .integer(0xABCD), [0xAB, 0xCD]),
        (.int16, .integer(-300), [0xFE, 0xD4]),
        (.uint32, .integer(0xDEAD_BEEF), [0xDE, 0xAD, 0xBE, 0xEF]),
        (.int32, .integer(-1), [0xFF, 0xFF, 0xFF, 0xFF]),
        (.float, .float(0.5), [0x3F, 0x00, 0x00, 0x00]),
        (.float, .float(-6000), [0xC5, 0xBB, 0x80, 0x00]),
        (.string, .string("PS 6.0"), Array("PS 6.0".utf8)),
    ]

    @Test("Scalars encode to their wire bytes and decode back", arguments: 0..<12)
    func scalarRoundTrip(index: Int) throws {
        let (type, value, bytes) = Self.scalars[index]
        #expect(try ValueCodec.encode(value, as: type) == bytes)
        #expect(try ValueCodec.decode(bytes, as: type) == value)
    }

    @Test("Random writable scalars round-trip", arguments: [DataType.bool, .uint8, .int8, .uint16, .int16, .uint32, .int32, .enumeration, .float])
    func randomRoundTrip(type: DataType) throws {
        var rng = SplitMix64(seed: UInt64(type.hashValue & 0xFFFF))
        for _ in 0..<500 {
            let value: Value
            if type == .float {
                value = .float(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng)))
                if case let .float(number) = value, number.isNaN { continue }
            } else if type == .bool {
                value = .bool(Bool.random(using: &rng))
            } else {
                value = .integer(Int64.random(in: type.integerRange!, using: &rng))
            }
            #expect(try ValueCodec.decode(ValueCodec.encode(value, as: type), as: type) == value)
        }
    }

    @Test("A frame's payload decodes to the same value as its bytes, for every scalar type",
          arguments: [DataType.bool, .uint8, .int8, .uint16, .int16, .uint32, .int32, .enumeration, .float])
    func payloadScalars(type: DataType) throws {
        var rng = SplitMix64(seed: 0x5CA1A2 ^ UInt64(type.fixedSize ?? 0))
        let size = try #require(type.fixedSize)
        for _ in 0..<500 {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let fromPayload = try ValueCodec.decode(Payload(bytes), as: type)
            let fromBytes = try ValueCodec.decode(bytes, as: type)
            if case let .float(number) = fromBytes, number.isNaN {
                guard case let .float(other) = fromPayload else { Issue.record("\(fromPayload)"); continue }
                #expect(other.bitPattern == number.bitPattern)
            } else {
                #expect(fromPayload == fromBytes, "\(bytes)")
            }
        }
        // The sign of the signed types comes from the first byte on the wire.
        #expect(try ValueCodec.decode(Payload([0x80, 0x00]), as: .int16) == .integer(-32768))
        #expect(try ValueCodec.decode(Payload([0xFF]), as: .int8) == .integer(-1))
        #expect(throws: ValueDecodingError.self) { try ValueCodec.decode(Payload([1, 2, 3]), as: type) }
    }

    @Test("Strings stop at the first NUL")
    func stringPadding() throws {
        #expect(try ValueCodec.decode(Array("abc".utf8) + [0, 0, 0x41], as: .string) == .string("abc"))
    }

    @Test("A payload whose size does not fit the type is an error", arguments: [
        (DataType.float, 3), (.float, 5), (.bool, 0), (.uint16, 1), (.int32, 2), (.enumeration, 2),
        (.timeseries, 7), (.timeseries, 3), (.eventTable, 10), (.batteryCells, 95), (.batteryStatistics, 47),
        (.batteryResistance, 0),
    ])
    func sizeMismatch(type: DataType, size: Int) {
        #expect(throws: ValueDecodingError.self) {
            try ValueCodec.decode([UInt8](repeating: 0, count: size), as: type)
        }
    }

    @Test("Integers outside their type are refused")
    func outOfRange() {
        #expect(throws: ValueEncodingError.outOfRange(type: .uint8, value: "256")) {
            try ValueCodec.encode(.integer(256), as: .uint8)
        }
        #expect(throws: ValueEncodingError.typeMismatch(type: .float)) {
            try ValueCodec.encode(.bool(true), as: .float)
        }
    }

    @Test("Timeseries: requested time, then (time, value) pairs")
    func timeseries() throws {
        let series = Timeseries(requestedTime: 1_700_000_000, samples: [
            .init(time: 1_699_999_700, value: 0.5), .init(time: 1_699_999_400, value: 0.25),
        ])
        let bytes = try ValueCodec.encode(.timeseries(series), as: .timeseries)
        #expect(bytes.count == 4 + 16)
        #expect(try ValueCodec.decode(bytes, as: .timeseries) == .timeseries(series))
    }

    @Test("Event table: rows of five words; type 0x73 is a parameter change")
    func eventTable() throws {
        let table = EventTable(requestedTime: 100, events: [
            .init(type: 0x73, time: 90, elements: [0xF168_B748, 4, 2]),
            .init(type: 0x41, time: 80, elements: [1, 2, 3]),
        ])
        let bytes = try ValueCodec.encode(.eventTable(table), as: .eventTable)
        #expect(bytes.count == 4 + 40)
        let decoded = try ValueCodec.decode(bytes, as: .eventTable)
        #expect(decoded == .eventTable(table))
        if case let .eventTable(back) = decoded { #expect(back.events[0].isParameterChange) }
    }

    @Test("Battery composites: cell voltage little-endian, resistance big-endian 1/256 mOhm")
    func batteryComposites() throws {
        var cellBytes = [UInt8](repeating: 0, count: 96)
        cellBytes[0] = 21; cellBytes[1] = 0x10; cellBytes[2] = 0x0D; cellBytes[3] = 1
        guard case let .batteryCells(cells) = try ValueCodec.decode(cellBytes, as: .batteryCells) else {
            Issue.record("not cells"); return
        }
        #expect(cells[0] == BatteryCell(temperature: 21, millivolts: 0x0D10, status: 1))
        #expect(try ValueCodec.encode(.batteryCells(cells), as: .batteryCells) == cellBytes)

        var resistance = [UInt8](repeating: 0, count: 96)
        resistance[0] = 0x01; resistance[1] = 0x80
        guard case let .batteryResistance(ohms) = try ValueCodec.decode(resistance, as: .batteryResistance) else {
            Issue.record("not resistance"); return
        }
        #expect(ohms[0] == 1.5)
        #expect(try ValueCodec.encode(.batteryResistance(ohms), as: .batteryResistance) == resistance)

        var stats = [UInt8](repeating: 0, count: 48)
        stats[0] = 3; stats[4] = 0x10; stats[8..<12] = [0x00, 0x00, 0x50, 0x40] // 3.25 little-endian
        guard case let .batteryStatistics(decoded) = try ValueCodec.decode(stats, as: .batteryStatistics) else {
            Issue.record("not statistics"); return
        }
        #expect(decoded.minimumVoltage == .init(cell: 3, time: 16, value: 3.25))
        #expect(decoded.maximumVoltage.time == nil)
        #expect(try ValueCodec.encode(.batteryStatistics(decoded), as: .batteryStatistics) == stats)
    }

    @Test("Timestamps format and parse as UTC", arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"), (1_700_000_000, "2023-11-14T22:13:20Z"),
        (951_782_400, "2000-02-29T00:00:00Z"), (-86400, "1969-12-31T00:00:00Z"),
    ])
    func timestamps(seconds: Int64, text: String) {
        #expect(ValueText.timestamp(seconds) == text)
        #expect(ValueText.parseTimestamp(text) == seconds)
    }

    @Test("Bad timestamps are refused", arguments: ["", "2023-13-01", "2023-01-01T25:00", "yesterday", "2023-1-1x", "2024-02-30", "2023-02-29", "2023-04-31"])
    func badTimestamps(text: String) {
        #expect(ValueText.parseTimestamp(text) == nil)
    }

    @Test("Hex text reads dumps in common shapes")
    func hexText() throws {
        #expect(try HexText.parse("2B 02 05\nf1:68,0xB7 48") == [0x2B, 0x02, 0x05, 0xF1, 0x68, 0xB7, 0x48])
        #expect(throws: HexParseError.self) { try HexText.parse("2B 0") }
        #expect(throws: HexParseError.self) { try HexText.parse("2B zz") }
        #expect(HexText.format([0x2B, 0x0A]) == "2B 0A")
    }
}
