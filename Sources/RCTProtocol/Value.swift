/// A decoded object value.
public enum Value: Sendable, Hashable {
    /// A BOOL.
    case bool(Bool)
    /// Any integer type, ENUM included.
    case integer(Int64)
    /// A FLOAT.
    case float(Float)
    /// A STRING, without its NUL padding.
    case string(String)
    /// A TIMESERIES answer.
    case timeseries(Timeseries)
    /// An EVENT_TABLE answer.
    case eventTable(EventTable)
    /// Cell status of a battery module.
    case batteryCells([BatteryCell])
    /// Cell extremes of a battery module.
    case batteryStatistics(BatteryStatistics)
    /// Cell resistance of a battery module, in milliohm.
    case batteryResistance([Double])
    /// Bytes of an unknown layout.
    case bytes([UInt8])

    /// The value as a number, for scalars that have one.
    public var numericValue: Double? {
        switch self {
        case let .bool(flag): flag ? 1 : 0
        case let .integer(number): Double(number)
        case let .float(number): Double(number)
        default: nil
        }
    }
}

/// A TIMESERIES answer: samples logged before the requested time.
public struct Timeseries: Sendable, Hashable {
    /// The time the request asked for, echoed by the device (seconds since 1970, device local time as UTC).
    public var requestedTime: Int64
    /// The samples, in the order the device sent them.
    public var samples: [Sample]

    /// One logged sample.
    public struct Sample: Sendable, Hashable {
        /// When it was logged (seconds since 1970).
        public var time: Int64
        /// The logged value.
        public var value: Float
        /// A sample at `time`.
        public init(time: Int64, value: Float) { self.time = time; self.value = value }
    }

    /// A timeseries answer for `requestedTime`.
    public init(requestedTime: Int64, samples: [Sample]) {
        self.requestedTime = requestedTime
        self.samples = samples
    }
}

/// An EVENT_TABLE answer: events logged before the requested time.
public struct EventTable: Sendable, Hashable {
    /// The time the request asked for, echoed by the device.
    public var requestedTime: Int64
    /// The events, in the order the device sent them.
    public var events: [Event]

    /// One row of the event table.
    public struct Event: Sendable, Hashable {
        /// The kind of event; 0x73 is a parameter change.
        public var type: UInt32
        /// When it happened (seconds since 1970).
        public var time: Int64
        /// The three further words, whose meaning depends on ``type``.
        public var elements: [UInt32]

        /// Whether this row records a parameter change (object, old value, new value).
        public var isParameterChange: Bool { type == 0x73 }

        /// A row of the event table.
        public init(type: UInt32, time: Int64, elements: [UInt32]) {
            self.type = type
            self.time = time
            self.elements = elements
        }
    }

    /// An event table answer for `requestedTime`.
    public init(requestedTime: Int64, events: [Event]) {
        self.requestedTime = requestedTime
        self.events = events
    }
}

/// The state of one battery cell.
public struct BatteryCell: Sendable, Hashable {
    /// Temperature in °C.
    public var temperature: UInt8
    /// Voltage in millivolt.
    public var millivolts: UInt16
    /// The cell's status byte.
    public var status: UInt8

    /// One cell's state.
    public init(temperature: UInt8, millivolts: UInt16, status: UInt8) {
        self.temperature = temperature
        self.millivolts = millivolts
        self.status = status
    }
}

/// The extremes recorded for a battery module.
public struct BatteryStatistics: Sendable, Hashable {
    /// One recorded extreme.
    public struct Extreme: Sendable, Hashable {
        /// The cell it was seen on.
        public var cell: UInt32
        /// When it was seen (seconds since 1970), nil if never.
        public var time: Int64?
        /// The value (volt or °C).
        public var value: Float
        /// An extreme seen on `cell`.
        public init(cell: UInt32, time: Int64?, value: Float) {
            self.cell = cell
            self.time = time
            self.value = value
        }
    }

    /// Lowest cell voltage.
    public var minimumVoltage: Extreme
    /// Highest cell voltage.
    public var maximumVoltage: Extreme
    /// Lowest cell temperature.
    public var minimumTemperature: Extreme
    /// Highest cell temperature.
    public var maximumTemperature: Extreme

    /// A module's statistics.
    public init(minimumVoltage: Extreme, maximumVoltage: Extreme, minimumTemperature: Extreme, maximumTemperature: Extreme) {
        self.minimumVoltage = minimumVoltage
        self.maximumVoltage = maximumVoltage
        self.minimumTemperature = minimumTemperature
        self.maximumTemperature = maximumTemperature
    }
}
