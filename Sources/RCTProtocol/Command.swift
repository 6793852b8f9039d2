/// The command byte of a frame: what the sender asks for or answers.
///
/// Plant variants (0x41...) address one device of a multi-inverter plant and carry
/// a 4-byte address in front of the object id.
public enum Command: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Ask for the value of an object.
    case read = 0x01
    /// Set the value of an object.
    case write = 0x02
    /// Set a value too large for a short frame.
    case longWrite = 0x03
    /// The value of an object, sent by the device.
    case response = 0x05
    /// A value too large for a short frame, sent by the device.
    case longResponse = 0x06
    /// Ask the device to send a value repeatedly.
    case readPeriodically = 0x08
    /// ``read`` addressed to one device of a plant.
    case plantRead = 0x41
    /// ``write`` addressed to one device of a plant.
    case plantWrite = 0x42
    /// ``longWrite`` addressed to one device of a plant.
    case plantLongWrite = 0x43
    /// ``response`` from one device of a plant.
    case plantResponse = 0x45
    /// ``longResponse`` from one device of a plant.
    case plantLongResponse = 0x46
    /// ``readPeriodically`` addressed to one device of a plant.
    case plantReadPeriodically = 0x48

    /// The command a byte stands for, or nil when it stands for none. Written out rather
    /// than synthesised so that the stream decoder can inline it.
    @inline(__always)
    public init?(rawValue: UInt8) {
        switch rawValue {
        case 0x01: self = .read
        case 0x02: self = .write
        case 0x03: self = .longWrite
        case 0x05: self = .response
        case 0x06: self = .longResponse
        case 0x08: self = .readPeriodically
        case 0x41: self = .plantRead
        case 0x42: self = .plantWrite
        case 0x43: self = .plantLongWrite
        case 0x45: self = .plantResponse
        case 0x46: self = .plantLongResponse
        case 0x48: self = .plantReadPeriodically
        default: return nil
        }
    }

    /// Whether the frame carries a 4-byte plant address before the object id.
    public var isPlant: Bool { rawValue & 0x40 != 0 }

    /// Whether the length field is two bytes wide.
    public var isLong: Bool {
        switch self {
        case .longWrite, .longResponse, .plantLongWrite, .plantLongResponse: true
        default: false
        }
    }

    /// Whether the device sends this command as an answer.
    public var isResponse: Bool {
        switch self {
        case .response, .longResponse, .plantResponse, .plantLongResponse: true
        default: false
        }
    }

    /// Whether this command changes a value on the device.
    public var isWrite: Bool {
        switch self {
        case .write, .longWrite, .plantWrite, .plantLongWrite: true
        default: false
        }
    }

    /// The upper-case name used in traces and JSON, e.g. `LONG_RESPONSE`.
    public var description: String {
        switch self {
        case .read: "READ"
        case .write: "WRITE"
        case .longWrite: "LONG_WRITE"
        case .response: "RESPONSE"
        case .longResponse: "LONG_RESPONSE"
        case .readPeriodically: "READ_PERIODICALLY"
        case .plantRead: "PLANT_READ"
        case .plantWrite: "PLANT_WRITE"
        case .plantLongWrite: "PLANT_LONG_WRITE"
        case .plantResponse: "PLANT_RESPONSE"
        case .plantLongResponse: "PLANT_LONG_RESPONSE"
        case .plantReadPeriodically: "PLANT_READ_PERIODICALLY"
        }
    }
}
