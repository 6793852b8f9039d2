/// What is known about one object of the device.
///
/// Immutable, so it behaves as a value; a class so that handing it on (a dump looks one up
/// for every frame) costs one reference count instead of one per text and list it holds.
public final class ObjectInfo: Sendable, Hashable {
    /// The id sent on the wire.
    public let id: ObjectID
    /// The vendor's name, e.g. `battery.soc`.
    public let name: String
    /// How a request payload for this object is laid out (the value of a WRITE, the time of a log query).
    public let requestType: DataType
    /// How the device's answer is laid out.
    public let responseType: DataType
    /// Unit symbol, if any.
    public let unit: String?
    /// Labels of an enumeration, by number, sorted.
    public let labels: [EnumLabel]
    /// A short explanation in our own words, where one helps.
    public let summary: String?
    /// Whether the value is a fraction from 0 to 1 (`Registry/fractions.tsv`): text shows it
    /// as a percentage, JSON keeps the fraction.
    public let isFraction: Bool

    /// An object description; used by the registry and by tests.
    public init(id: ObjectID, name: String, requestType: DataType, responseType: DataType,
                unit: String? = nil, labels: [EnumLabel] = [], summary: String? = nil, isFraction: Bool = false) {
        self.id = id
        self.name = name
        self.requestType = requestType
        self.responseType = responseType
        self.unit = unit
        self.labels = labels
        self.summary = summary
        self.isFraction = isFraction
    }

    /// Objects are equal when everything known about them is.
    public static func == (lhs: ObjectInfo, rhs: ObjectInfo) -> Bool {
        lhs === rhs
            || (lhs.id == rhs.id && lhs.name == rhs.name && lhs.requestType == rhs.requestType
                && lhs.responseType == rhs.responseType && lhs.unit == rhs.unit && lhs.labels == rhs.labels
                && lhs.summary == rhs.summary && lhs.isFraction == rhs.isFraction)
    }

    /// Hashes the id and name, which identify an object; equal objects have equal ones.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(name)
    }

    /// The unit shown in text: `%` for fractions, else the table's unit.
    public var displayUnit: String? {
        isFraction ? "%" : unit
    }

    /// The label for `number`, if the object has one.
    public func label(for number: Int64) -> String? {
        labels.first { Int64($0.value) == number }?.label
    }

    /// Whether a read needs a time in its request (timeseries and event table).
    public var isHistory: Bool {
        responseType == .timeseries || responseType == .eventTable
    }
}

/// One value of an enumeration and its label.
public struct EnumLabel: Sendable, Hashable {
    /// The number sent on the wire.
    public let value: Int
    /// What the number means, e.g. `External`.
    public let label: String

    /// A label for `value`.
    public init(value: Int, label: String) {
        self.value = value
        self.label = label
    }
}
