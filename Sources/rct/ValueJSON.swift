import RCTProtocol

/// A value as JSON, the same in every command: numbers and text as they are, times as
/// `YYYY-MM-DDTHH:MM:SSZ`, composite values as objects and arrays, unknown layouts as hex.
struct ValueJSON: Encodable {
    let value: Value

    init(_ value: Value) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        switch value {
        case let .bool(flag): try single.encode(flag)
        case let .integer(number): try single.encode(number)
        case let .float(number): try single.encode(Number(number))
        case let .string(text): try single.encode(text)
        case let .timeseries(series):
            try single.encode(History(requested: ValueText.timestamp(series.requestedTime),
                                      samples: series.samples.map { Sample(time: ValueText.timestamp($0.time), value: Number($0.value)) },
                                      events: nil))
        case let .eventTable(table):
            try single.encode(History(requested: ValueText.timestamp(table.requestedTime), samples: nil,
                                      events: table.events.map(Event.init)))
        case let .batteryCells(cells):
            try single.encode(cells.map { Cell(temperature: $0.temperature, millivolts: $0.millivolts, status: $0.status) })
        case let .batteryStatistics(stats):
            try single.encode(Statistics(voltageMin: Extreme(stats.minimumVoltage), voltageMax: Extreme(stats.maximumVoltage),
                                         temperatureMin: Extreme(stats.minimumTemperature),
                                         temperatureMax: Extreme(stats.maximumTemperature)))
        case let .batteryResistance(cells):
            try single.encode(cells.map(Number.init))
        case let .bytes(bytes):
            try single.encode(HexText.format(bytes, separator: ""))
        }
    }

    /// A timeseries page or an event table: when it was asked for, and what came.
    private struct History: Encodable {
        let requested: String
        let samples: [Sample]?
        let events: [Event]?
    }

    private struct Sample: Encodable {
        let time: String
        let value: Number
    }

    /// One row of the event log; a parameter change (three elements) names the object.
    private struct Event: Encodable {
        let type: UInt32
        let time: String
        let id: String?
        let name: OrNull<String>?
        let oldRaw: UInt32?
        let newRaw: UInt32?
        let elements: [UInt32]?

        private enum CodingKeys: String, CodingKey {
            case type, time, id, name, oldRaw = "old_raw", newRaw = "new_raw", elements
        }

        init(_ event: EventTable.Event) {
            type = event.type
            time = ValueText.timestamp(event.time)
            if event.isParameterChange, event.elements.count == 3 {
                let objectID = ObjectID(event.elements[0])
                id = objectID.description
                name = OrNull(Registry.standard.object(id: objectID)?.name)
                oldRaw = event.elements[1]
                newRaw = event.elements[2]
                elements = nil
            } else {
                (id, name, oldRaw, newRaw) = (nil, nil, nil, nil)
                elements = event.elements
            }
        }
    }

    private struct Cell: Encodable {
        let temperature: UInt8
        let millivolts: UInt16
        let status: UInt8
    }

    private struct Statistics: Encodable {
        let voltageMin: Extreme
        let voltageMax: Extreme
        let temperatureMin: Extreme
        let temperatureMax: Extreme

        private enum CodingKeys: String, CodingKey {
            case voltageMin = "voltage_min", voltageMax = "voltage_max"
            case temperatureMin = "temperature_min", temperatureMax = "temperature_max"
        }
    }

    private struct Extreme: Encodable {
        let cell: UInt32
        let time: OrNull<String>
        let value: Number

        init(_ extreme: BatteryStatistics.Extreme) {
            cell = extreme.cell
            time = OrNull(extreme.time.map(ValueText.timestamp))
            value = Number(extreme.value)
        }
    }
}
