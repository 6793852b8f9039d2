/// What an `rct serve` gateway says about itself, as an object of its own that clients can read.
///
/// The protocol has no error frame: a write the gateway refuses looks to its client like a
/// write the inverter ignored. So the gateway answers a READ of ``objectID`` itself (it never
/// goes to the inverter) with a string such as `rct-serve writes=off`, and `rct` reads it when
/// a read-back disagrees with what it wrote, to tell the user why. The id is one the vendor's
/// table does not use (checked by a test against the registry); no other client asks for it,
/// so no other client sees anything new. A real inverter does not answer it.
public struct GatewayStatus: Sendable, Equatable {
    /// The object id of the gateway's status: "RCTS" in ASCII.
    public static let objectID = ObjectID(0x5243_5453)

    /// Whether the gateway carries out writes (`--allow-writes`).
    public var allowsWrites: Bool

    /// A status.
    public init(allowsWrites: Bool) {
        self.allowsWrites = allowsWrites
    }

    /// The answer frame a gateway sends for a READ of ``objectID``.
    public var frame: Frame {
        Frame(command: .response, objectID: Self.objectID, payload: Payload(Array(text.utf8)))
    }

    /// The status as text: `rct-serve writes=on` or `rct-serve writes=off`.
    public var text: String { "rct-serve writes=\(allowsWrites ? "on" : "off")" }

    /// The status a frame carries, or nil when it is not a gateway's status answer.
    public init?(_ frame: Frame) {
        guard frame.command == .response, frame.objectID == Self.objectID,
              let text = String(validating: Array(frame.payload), as: UTF8.self) else { return nil }
        let words = text.split(separator: " ")
        guard words.first == "rct-serve" else { return nil }
        switch words.dropFirst().first(where: { $0.hasPrefix("writes=") }) {
        case "writes=on": allowsWrites = true
        case "writes=off": allowsWrites = false
        default: return nil
        }
    }
}
