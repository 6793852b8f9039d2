/// The data bytes of a frame.
///
/// Almost every value on the wire is 1 to 16 bytes, so up to 16 bytes are kept inline and
/// decoding a stream of ordinary frames allocates nothing per frame. Longer payloads
/// (strings, timeseries) live in an array.
public struct Payload: RandomAccessCollection, Hashable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible {
    private static let inlineCapacity = 16
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    private var inlineCount: UInt8 = 0
    private var heap: [UInt8]?

    /// No bytes.
    public init() {}

    /// The given bytes.
    public init(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { append(byte) }
    }

    /// The given bytes.
    public init(arrayLiteral elements: UInt8...) {
        self.init(elements)
    }

    /// The bytes of `buffer`, copied.
    @inline(__always)
    init(copying buffer: UnsafeBufferPointer<UInt8>) {
        let count = buffer.count
        if count > Self.inlineCapacity {
            heap = Array(buffer)
            return
        }
        if count > 8 {
            low = Self.word(buffer, from: 0, count: 8)
            high = Self.word(buffer, from: 8, count: count - 8)
        } else {
            low = Self.word(buffer, from: 0, count: count)
        }
        inlineCount = UInt8(count)
    }

    /// Up to eight bytes of `buffer` from `from`, the first in the lowest bits.
    @inline(__always)
    private static func word(_ buffer: UnsafeBufferPointer<UInt8>, from: Int, count: Int) -> UInt64 {
        let raw = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[from..<(from + count)])
        switch count {
        case 8: return UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        case 4: return UInt64(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
        default:
            var word: UInt64 = 0
            for index in 0..<count { word |= UInt64(raw[index]) << UInt64(index * 8) }
            return word
        }
    }

    /// Adds a byte at the end.
    public mutating func append(_ byte: UInt8) {
        if heap != nil {
            heap!.append(byte)
            return
        }
        let index = Int(inlineCount)
        if index == Self.inlineCapacity {
            var bytes = Array(self)
            bytes.append(byte)
            heap = bytes
            return
        }
        let shift = UInt64((index & 7) * 8)
        if index < 8 { low |= UInt64(byte) << shift } else { high |= UInt64(byte) << shift }
        inlineCount += 1
    }

    /// Removes the last `count` bytes.
    public mutating func removeLast(_ count: Int = 1) {
        precondition(count >= 0 && count <= self.count, "cannot remove more bytes than there are")
        let kept = Array(prefix(self.count - count))
        self = Payload(kept)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { heap?.count ?? Int(inlineCount) }

    public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < endIndex, "payload index out of range")
        if let heap { return heap[position] }
        let word = position < 8 ? low : high
        return UInt8(truncatingIfNeeded: word >> UInt64((position & 7) * 8))
    }

    /// The bytes as an array.
    public var bytes: [UInt8] { heap ?? Array(self) }

    public static func == (lhs: Payload, rhs: Payload) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for byte in self { hasher.combine(byte) }
    }

    public var description: String { "\(Array(self))" }
}
