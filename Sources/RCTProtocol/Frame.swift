/// One protocol message: a command about one object, with its data.
public struct Frame: Sendable, Hashable {
    /// What the frame asks for or answers.
    public var command: Command
    /// The plant address; sent only for plant commands and ignored otherwise.
    public var address: UInt32
    /// The object the frame is about.
    public var objectID: ObjectID
    /// The encoded value (empty for a READ).
    public var payload: Payload

    /// A frame about `objectID`; `address` matters only for plant commands.
    public init(command: Command, objectID: ObjectID, payload: [UInt8] = [], address: UInt32 = 0) {
        self.init(command: command, objectID: objectID, payload: Payload(payload), address: address)
    }

    /// A frame about `objectID` with a payload already in frame form.
    @inline(__always)
    public init(command: Command, objectID: ObjectID, payload: Payload, address: UInt32 = 0) {
        self.command = command
        self.objectID = objectID
        self.payload = payload
        self.address = command.isPlant ? address : 0
    }

    /// The LEN field of this frame when it is encoded correctly: address (plant frames),
    /// object id and payload.
    public var length: Int {
        payload.count + 4 + (command.isPlant ? 4 : 0)
    }

    /// The largest payload a frame of `command` can carry.
    public static func maximumPayload(for command: Command) -> Int {
        let limit = command.isLong ? Int(UInt16.max) : Int(UInt8.max)
        return limit - 4 - (command.isPlant ? 4 : 0)
    }

    /// The bytes to put on the wire: start byte, escaped body and checksum.
    public func encoded() throws(FrameEncodingError) -> [UInt8] {
        try encoded(lengthError: 0)
    }

    /// The wire form with a LEN field off by `lengthError` (kept within what the field can
    /// hold) and the checksum right over the bytes sent, as some firmware sends its long
    /// answers. For simulators and tests of decoders.
    public func encoded(lengthError: Int) throws(FrameEncodingError) -> [UInt8] {
        let limit = Self.maximumPayload(for: command)
        guard payload.count <= limit else {
            throw FrameEncodingError.payloadTooLarge(command: command, size: payload.count, limit: limit)
        }
        var body: [UInt8] = [command.rawValue]
        body.reserveCapacity(payload.count + 12)
        let length = min(max(self.length + lengthError, 0), command.isLong ? Int(UInt16.max) : Int(UInt8.max))
        if command.isLong {
            body.append(UInt8(truncatingIfNeeded: length >> 8))
        }
        body.append(UInt8(truncatingIfNeeded: length))
        if command.isPlant { body += address.bigEndianBytes }
        body += objectID.bytes
        body += payload
        let crc = CRC16.checksum(body)
        body.append(UInt8(truncatingIfNeeded: crc >> 8))
        body.append(UInt8(truncatingIfNeeded: crc))

        var wire: [UInt8] = [FrameByte.start]
        wire.reserveCapacity(body.count + 8)
        for byte in body {
            if byte == FrameByte.start || byte == FrameByte.escape { wire.append(FrameByte.escape) }
            wire.append(byte)
        }
        return wire
    }
}

/// The two bytes with a meaning of their own on the wire.
public enum FrameByte {
    /// `+`, which starts every frame.
    public static let start: UInt8 = 0x2B
    /// `-`, which precedes a data byte equal to ``start`` or ``escape``.
    public static let escape: UInt8 = 0x2D
}

/// Why a frame could not be encoded.
public enum FrameEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payload does not fit the length field of the command.
    case payloadTooLarge(command: Command, size: Int, limit: Int)

    public var description: String {
        switch self {
        case let .payloadTooLarge(command, size, limit):
            "a \(command) frame carries at most \(limit) data bytes; got \(size)"
        }
    }
}
