import RCTProtocol

/// How the simulated device puts its answers on the wire, for the quirks real firmware has.
///
/// Public captures of an RCT Power Storage DC 10.0 (firmware 2.3.5687) show a 0x00 before
/// every frame and most long answers with a wrong LEN (16 bytes too few, or 472 to 480 too
/// many) while the CRC is right over the bytes sent. These settings reproduce that, so
/// clients can be tested against it without the device.
public struct WireQuirks: Sendable, Equatable {
    /// How far the LEN field of long answers is off: negative declares too few bytes.
    public var longLengthError: Int
    /// Whether a 0x00 goes before every frame.
    public var leadingZero: Bool

    /// The LEN error of most long answers in the captures: 16 bytes too few.
    public static let tooShort = -16
    /// The larger LEN error seen in the captures: 480 bytes too many.
    public static let tooLong = 480

    /// Answers as the protocol says, unless told otherwise.
    public init(longLengthError: Int = 0, leadingZero: Bool = false) {
        self.longLengthError = longLengthError
        self.leadingZero = leadingZero
    }

    /// The bytes the device sends for `frame`; empty if it cannot be encoded.
    public func wire(_ frame: Frame) -> [UInt8] {
        let error = frame.command.isLong && frame.command.isResponse ? longLengthError : 0
        guard let bytes = try? frame.encoded(lengthError: error) else { return [] }
        return leadingZero ? [0x00] + bytes : bytes
    }
}
