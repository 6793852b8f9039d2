/// Positions in the registry by object id: an open-addressing table probed from one
/// multiplication, cheaper than a dictionary's seeded hash for a lookup that a dump makes for
/// every frame of a capture.
struct ObjectIDIndex: Sendable {
    /// The id in each slot; meaningful where `positions` is not -1.
    private let ids: [UInt32]
    /// The registry position of the id in each slot, -1 for an empty slot.
    private let positions: [Int32]
    /// How far a product is shifted so that its top bits index the slots.
    private let shift: UInt32

    /// Two positions that hold the same id.
    struct Duplicate: Error {
        /// The earlier position.
        let first: Int
        /// The later position.
        let second: Int
    }

    /// The table for `ids`, each at its index in the array; an id that is there twice is an error.
    init(_ ids: [ObjectID]) throws(Duplicate) {
        // Twice as many slots as ids, a power of two: probes stay short.
        var bits: UInt32 = 4
        while 1 << bits < 2 * ids.count { bits += 1 }
        let shift = 32 - bits
        var slotIDs = [UInt32](repeating: 0, count: 1 << bits)
        var slotPositions = [Int32](repeating: -1, count: 1 << bits)
        for (position, id) in ids.enumerated() {
            var slot = Self.slot(of: id.rawValue, shift: shift)
            while slotPositions[slot] >= 0 {
                if slotIDs[slot] == id.rawValue { throw Duplicate(first: Int(slotPositions[slot]), second: position) }
                slot = (slot + 1) & (slotIDs.count - 1)
            }
            slotIDs[slot] = id.rawValue
            slotPositions[slot] = Int32(position)
        }
        self.ids = slotIDs
        self.positions = slotPositions
        self.shift = shift
    }

    /// Where `id` is, if it is in the table.
    func position(of id: ObjectID) -> Int? {
        var slot = Self.slot(of: id.rawValue, shift: shift)
        while positions[slot] >= 0 {
            if ids[slot] == id.rawValue { return Int(positions[slot]) }
            slot = (slot + 1) & (ids.count - 1)
        }
        return nil
    }

    /// The first slot to look at: the top bits of the id times a constant with well-mixed
    /// bits (2^32 divided by the golden ratio).
    private static func slot(of id: UInt32, shift: UInt32) -> Int {
        Int((id &* 0x9E37_79B9) >> shift)
    }
}
