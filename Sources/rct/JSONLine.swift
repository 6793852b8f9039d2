import FoundationEssentials

/// JSON as the commands print it: a Codable record encoded by FoundationEssentials'
/// `JSONEncoder`, compact, keys sorted (the same text on every run: the encoder keeps no
/// order of its own), slashes left as they are. Keys of more than one word are spelled in
/// snake case by each record's `CodingKeys`: the contract is written out where it is made,
/// and converting names on every line cost a dump 8 % of its time.
struct JSONLine {
    private let encoder: JSONEncoder

    /// An encoder for many lines (a dump prints one per frame).
    init() {
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    /// The record as JSON text. The records hold strings, whole numbers, finite floats
    /// (``Number``) and arrays and objects of them, which always encode; were one to fail,
    /// the line says so as JSON instead of vanishing.
    func text(_ record: some Encodable) -> String {
        do {
            return String(decoding: try encoder.encode(record), as: UTF8.self)
        } catch {
            return "{\"error\":\"not encodable as JSON\"}"
        }
    }

    /// Prints the record as one line on standard output.
    static func print(_ record: some Encodable) {
        Console.out(JSONLine().text(record))
    }
}

/// A member that is always there: its value, or `null`.
struct OrNull<Wrapped: Encodable>: Encodable {
    let value: Wrapped?

    init(_ value: Wrapped?) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}

/// A floating-point number in its shortest exact form (a `Float` from the wire as a
/// `Float`, not widened); infinity and NaN, which JSON has no words for, are `null`.
struct Number: Encodable {
    private enum Stored {
        case float(Float)
        case double(Double)
    }

    private let stored: Stored

    init(_ value: Float) { stored = .float(value) }
    init(_ value: Double) { stored = .double(value) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch stored {
        case let .float(value) where value.isFinite: try container.encode(value)
        case let .double(value) where value.isFinite: try container.encode(value)
        default: try container.encodeNil()
        }
    }
}
