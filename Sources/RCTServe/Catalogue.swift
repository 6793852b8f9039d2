import RCTProtocol

/// What `rct serve --mqtt` publishes and exports: the table in `Registry/homeassistant.tsv`,
/// one entity per row, checked against the registry and the write rules when it is read.
public struct Catalogue: Sendable {
    /// One published value.
    public struct Entry: Sendable, Equatable {
        /// How a raw value is shown in Home Assistant.
        public enum Scale: String, Sendable {
            /// As it is.
            case none = "-"
            /// A fraction 0 to 1 shown as a percentage.
            case percent
            /// Watt-hours shown as kilowatt-hours.
            case kilo
        }

        /// How often it is read.
        public enum Interval: String, Sendable {
            /// Every fast poll (each second unless configured).
            case fast
            /// Every slow poll (5 min unless configured).
            case slow
        }

        /// Topic and unique-id part, e.g. `battery_soc`.
        public let key: String
        /// The registry object read.
        public let object: ObjectInfo
        /// Home Assistant component: sensor, binary_sensor, number, select or switch.
        public let component: String
        /// Home Assistant device class, if any.
        public let deviceClass: String?
        /// Home Assistant state class, if any.
        public let stateClass: String?
        /// The unit Home Assistant shows, after ``scale``.
        public let unit: String?
        /// How the raw value becomes the shown one.
        public let scale: Scale
        /// How often it is read.
        public let interval: Interval
        /// Home Assistant entity category (`diagnostic`, `config`), if any.
        public let category: String?
        /// The Prometheus metric name after `rct_`, if exported.
        public let metric: String?
        /// The entity's name in Home Assistant.
        public let name: String

        /// The write rule when this is a setting (number, select, switch).
        public var rule: WriteRule? {
            isSetting ? WriteRules.rule(for: object.id) : nil
        }

        /// Whether Home Assistant may change it (given `--allow-writes`).
        public var isSetting: Bool { ["number", "select", "switch"].contains(component) }

        /// Whether it is an energy counter that must never go down.
        public var isMonotonic: Bool { stateClass == "total_increasing" }
    }

    /// A reserve preset: soc_min and soc_charge set together by a button.
    public struct ReservePreset: Sendable, Equatable {
        /// Topic and unique-id part, e.g. `winter`.
        public let key: String
        /// power_mng.soc_min.
        public let minimum: Double
        /// power_mng.soc_charge.
        public let charge: Double
        /// The button's name.
        public let name: String
    }

    /// Why a catalogue could not be read.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// The line, counted from 1.
        public let line: Int
        /// What is wrong with it.
        public let reason: String
        public var description: String { "catalogue line \(line): \(reason)" }
    }

    /// The entities, in table order.
    public let entries: [Entry]
    /// The reserve presets, in table order.
    public let presets: [ReservePreset]

    /// The catalogue built into rct.
    public static let standard: Catalogue = {
        do {
            return try Catalogue(table: catalogueText, presets: reservePresetsText)
        } catch {
            // Both tables are part of the source tree and checked by the tests.
            preconditionFailure("the built-in catalogue is broken: \(error)")
        }
    }()

    /// Reads the two tables; every object must be in `registry`, every setting writable.
    public init(table: String, presets presetText: String, registry: Registry = .standard) throws(ParseError) {
        var entries: [Entry] = []
        var keys: Set<String> = []
        for (number, fields) in Self.rows(table) {
            guard fields.count == 11 else { throw ParseError(line: number, reason: "\(fields.count) fields, 11 expected") }
            func optional(_ text: String) -> String? { text == "-" || text.isEmpty ? nil : text }
            guard let object = registry.object(named: fields[1]) else {
                throw ParseError(line: number, reason: "\(fields[1]) is not in the registry")
            }
            guard ["sensor", "binary_sensor", "number", "select", "switch"].contains(fields[2]) else {
                throw ParseError(line: number, reason: "unknown component \(fields[2])")
            }
            guard let scale = Entry.Scale(rawValue: fields[6]) else { throw ParseError(line: number, reason: "unknown scale \(fields[6])") }
            guard let interval = Entry.Interval(rawValue: fields[7]) else {
                throw ParseError(line: number, reason: "interval must be fast or slow, not \(fields[7])")
            }
            guard keys.insert(fields[0]).inserted, fields[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ParseError(line: number, reason: "key \(fields[0]) is repeated or not made of letters, digits and _")
            }
            let entry = Entry(key: fields[0], object: object, component: fields[2], deviceClass: optional(fields[3]),
                              stateClass: optional(fields[4]), unit: optional(fields[5]), scale: scale, interval: interval,
                              category: optional(fields[8]), metric: optional(fields[9]), name: fields[10])
            if entry.isSetting && entry.rule == nil {
                throw ParseError(line: number, reason: "\(object.name) is a \(entry.component) but has no write rule")
            }
            if scale == .percent && !object.isFraction {
                throw ParseError(line: number, reason: "\(object.name) is not a fraction; it cannot be shown as a percentage")
            }
            entries.append(entry)
        }
        var presets: [ReservePreset] = []
        for (number, fields) in Self.rows(presetText) {
            guard fields.count == 4, let minimum = Double(fields[1]), let charge = Double(fields[2]) else {
                throw ParseError(line: number, reason: "a preset is: key, soc_min, soc_charge, name")
            }
            presets.append(ReservePreset(key: fields[0], minimum: minimum, charge: charge, name: fields[3]))
        }
        self.entries = entries
        self.presets = presets
    }

    /// The entry for `key`.
    public func entry(key: String) -> Entry? { entries.first { $0.key == key } }

    private static func rows(_ text: String) -> [(Int, [String])] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
            return (index + 1, line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init))
        }
    }
}
