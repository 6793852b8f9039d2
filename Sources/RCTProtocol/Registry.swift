/// The catalogue of the device's objects: lookup by name, id, prefix or approximate name.
///
/// The table is data (`Registry/objects.tsv`, embedded at build time). Each object has
/// one name and one id, both unique: where public tables list one id under two names
/// (the `power_mng.schedule[...]` entries), the name without the `??` doubt marker is
/// kept and the other dropped. Loading rejects any duplicate, so a conflict cannot
/// slip in when the table is updated.
public struct Registry: Sendable {
    /// All objects, sorted by name (`<` on the names, byte order for the table's ASCII names).
    public let objects: [ObjectInfo]
    private let byID: ObjectIDIndex

    /// The registry built from the embedded object table.
    public static let standard: Registry = {
        do {
            return try Registry(table: objectTableText, descriptions: objectDescriptionsText, fractions: objectFractionsText)
        } catch {
            // The embedded table is checked by the tests; reaching this is a build defect.
            fatalError("embedded object table is malformed: \(error)")
        }
    }()

    /// Parses an object table, its descriptions and the list of fraction objects (a name
    /// first on each line), all tab-separated text with `#` comments.
    ///
    /// This runs at every start of the tool, so the table is read as bytes and names are
    /// compared in sorted order rather than hashed.
    public init(table: String, descriptions: String = "", fractions: String = "") throws(RegistryError) {
        let text = TableText(table)
        var rows: [TableObject] = []
        for row in text.rows {
            rows.append(try TableObject(row, of: text))
        }
        // The table is kept sorted, so this is one pass of comparisons.
        if !zip(rows, rows.dropFirst()).allSatisfy({ $0.name < $1.name }) {
            rows.sort { $0.name < $1.name }
        }
        for (earlier, later) in zip(rows, rows.dropFirst()) where earlier.name == later.name {
            throw .duplicateName(later.name, line: max(earlier.line, later.line))
        }
        var isFraction = [Bool](repeating: false, count: rows.count)
        for (line, fields) in TableText(fractions).stringRows where !fields.isEmpty {
            guard let position = Self.position(of: fields[0], in: rows, name: \.name) else {
                throw .unknownName(fields[0])
            }
            guard !isFraction[position] else { throw .duplicateName(fields[0], line: line) }
            isFraction[position] = true
        }
        var summaries = [String?](repeating: nil, count: rows.count)
        for (line, fields) in TableText(descriptions).stringRows where fields.count >= 2 {
            guard let position = Self.position(of: fields[0], in: rows, name: \.name) else { continue }
            guard summaries[position] == nil else { throw .duplicateName(fields[0], line: line) }
            summaries[position] = fields[1]
        }
        let objects = rows.indices.map { position in
            rows[position].info(summary: summaries[position], isFraction: isFraction[position])
        }
        do {
            byID = try ObjectIDIndex(objects.map(\.id))
        } catch {
            throw .duplicateID(objects[error.first].id, line: max(rows[error.first].line, rows[error.second].line))
        }
        self.objects = objects
    }

    /// Where the element named `name` is in `sorted`, which is ordered by name.
    private static func position<Element>(of name: String, in sorted: [Element], name key: (Element) -> String) -> Int? {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if key(sorted[middle]) < name { low = middle + 1 } else { high = middle }
        }
        return low < sorted.count && key(sorted[low]) == name ? low : nil
    }

    /// The object with exactly this name.
    public func object(named name: String) -> ObjectInfo? {
        Self.position(of: name, in: objects, name: \.name).map { objects[$0] }
    }

    /// The object with this id.
    public func object(id: ObjectID) -> ObjectInfo? {
        byID.position(of: id).map { objects[$0] }
    }

    /// Where the object with this id is in ``objects``.
    func position(of id: ObjectID) -> Int? {
        byID.position(of: id)
    }

    /// The object a user means by `text`: an exact name, or an id in `0x` hex or decimal.
    ///
    /// An id that is not in the table resolves to an object of unknown layout, so raw
    /// reads stay possible for diagnostics. A name that is not known is an error that
    /// carries the closest names.
    public func resolve(_ text: String) throws(LookupError) -> ObjectInfo {
        if let object = object(named: text) { return object }
        if let id = ObjectID(parsing: text) {
            return object(id: id)
                ?? ObjectInfo(id: id, name: id.description, requestType: .unknown, responseType: .unknown)
        }
        let lowered = text.lowercased()
        if let match = objects.first(where: { $0.name.lowercased() == lowered }) { return match }
        throw LookupError(query: text, suggestions: suggestions(for: text))
    }

    /// Objects whose name starts with `prefix`, for completion.
    public func objects(withPrefix prefix: String) -> [ObjectInfo] {
        objects.filter { $0.name.hasPrefix(prefix) }
    }

    /// Objects whose name contains `pattern` (case-insensitive); `*` matches any run of characters.
    public func objects(matching pattern: String) -> [ObjectInfo] {
        objects.filter { Self.name($0.name, matches: pattern) }
    }

    /// Whether `name` matches `pattern` as ``objects(matching:)`` matches: anywhere in the
    /// name, case-insensitively, `*` standing for any run of characters.
    public static func name(_ name: String, matches pattern: String) -> Bool {
        var rest = Substring(name.lowercased())
        for part in pattern.lowercased().split(separator: "*") {
            guard let range = rest.firstRange(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }

    /// Up to `limit` names close to `text`, the closest first.
    public func suggestions(for text: String, limit: Int = 3) -> [String] {
        let query = Array(text.lowercased().utf8)
        guard !query.isEmpty else { return [] }
        let scored = objects.compactMap { object -> (Int, String)? in
            let name = Array(object.name.lowercased().utf8)
            let distance = editDistance(query, name)
            let contains = object.name.lowercased().contains(text.lowercased())
            let leaf = Array((object.name.split(separator: ".").last.map(String.init) ?? object.name).lowercased().utf8)
            let best = min(distance, editDistance(query, leaf) + 1, contains ? 1 : Int.max)
            return best <= max(2, query.count / 3) ? (best, object.name) : nil
        }
        return scored.sorted { $0 < $1 }.prefix(limit).map(\.1)
    }
}

/// One line of the object table, read but not yet checked against the others.
private struct TableObject {
    let line: Int
    let id: ObjectID
    let name: String
    let requestType: DataType
    let responseType: DataType
    let unit: String?
    let labels: [EnumLabel]

    init(_ row: TableText.Row, of text: TableText) throws(RegistryError) {
        let fields = row.fields
        line = row.line
        guard fields.count >= 4 else { throw .malformedLine(line, "expected at least 4 fields") }
        guard let id = ObjectID(utf8: text.bytes[fields[0]]) else {
            throw .malformedLine(line, "bad id \(text.string(fields[0]))")
        }
        guard let request = DataType(utf8: text.bytes[fields[2]]), let response = DataType(utf8: text.bytes[fields[3]]) else {
            throw .malformedLine(line, "unknown data type")
        }
        self.id = id
        name = text.string(fields[1])
        requestType = request
        responseType = response
        unit = fields.count > 4 && !fields[4].isEmpty ? text.string(fields[4]) : nil
        var labels: [EnumLabel] = []
        if fields.count > 5 && !fields[5].isEmpty {
            for pair in text.bytes[fields[5]].split(separator: UInt8(ascii: "|")) {
                let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1)
                guard parts.count == 2, let value = Int(String(decoding: parts[0], as: UTF8.self)) else {
                    throw .malformedLine(line, "bad enum label \(String(decoding: pair, as: UTF8.self))")
                }
                labels.append(EnumLabel(value: value, label: String(decoding: parts[1], as: UTF8.self)))
            }
        }
        self.labels = labels.sorted { $0.value < $1.value }
    }

    /// The object, with what the other tables say of it.
    func info(summary: String?, isFraction: Bool) -> ObjectInfo {
        ObjectInfo(id: id, name: name, requestType: requestType, responseType: responseType,
                   unit: unit, labels: labels, summary: summary, isFraction: isFraction)
    }
}

/// Levenshtein distance between two byte strings.
func editDistance(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
    if lhs.isEmpty { return rhs.count }
    if rhs.isEmpty { return lhs.count }
    var previous = Array(0...rhs.count)
    var current = [Int](repeating: 0, count: rhs.count + 1)
    for (i, left) in lhs.enumerated() {
        current[0] = i + 1
        for (j, right) in rhs.enumerated() {
            current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (left == right ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[rhs.count]
}

/// Why the object table could not be loaded.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A line does not have the expected shape.
    case malformedLine(Int, String)
    /// A name appears twice.
    case duplicateName(String, line: Int)
    /// An id appears twice.
    case duplicateID(ObjectID, line: Int)
    /// A list refers to a name the object table does not have.
    case unknownName(String)

    public var description: String {
        switch self {
        case let .unknownName(name): "\(name) is listed as a fraction but is not in the object table"
        case let .malformedLine(line, reason): "object table line \(line): \(reason)"
        case let .duplicateName(name, line): "object table line \(line): \(name) is listed twice"
        case let .duplicateID(id, line): "object table line \(line): \(id) is listed twice"
        }
    }
}

/// A name that is not in the registry, with the closest names.
public struct LookupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the user typed.
    public let query: String
    /// Close names, best first; may be empty.
    public let suggestions: [String]

    public var description: String {
        var text = "unknown object '\(query)'"
        if !suggestions.isEmpty {
            text += "; did you mean " + suggestions.map { "'\($0)'" }.joined(separator: " or ") + "?"
        } else {
            text += "; 'rct list' shows the known names"
        }
        return text
    }
}
