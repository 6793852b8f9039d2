/// The catalogue of the device's objects: lookup by name, id, prefix or approximate name.
///
/// The table is data (`Registry/objects.tsv`, embedded at build time). Each object has
/// one name and one id, both unique: where public tables list one id under two names
/// (the `power_mng.schedule[...]` entries), the name without the `??` doubt marker is
/// kept and the other dropped. Loading rejects any duplicate, so a conflict cannot
/// slip in when the table is updated.
public struct Registry: Sendable {
    /// All objects, sorted by name.
    public let objects: [ObjectInfo]
    private let byName: [String: Int]
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
    public init(table: String, descriptions: String = "", fractions: String = "") throws(RegistryError) {
        var fractionNames = Set<String>()
        for (number, fields) in Self.rows(of: fractions) where !fields.isEmpty {
            guard fractionNames.insert(fields[0]).inserted else { throw .duplicateName(fields[0], line: number) }
        }
        var summaries: [String: String] = [:]
        for (number, fields) in Self.rows(of: descriptions) where fields.count >= 2 {
            guard summaries[fields[0]] == nil else { throw .duplicateName(fields[0], line: number) }
            summaries[fields[0]] = fields[1]
        }
        var objects: [ObjectInfo] = []
        var names = Set<String>()
        var ids = Set<ObjectID>()
        for (number, fields) in Self.rows(of: table) {
            guard fields.count >= 4 else { throw .malformedLine(number, "expected at least 4 fields") }
            guard let id = ObjectID(parsing: fields[0]) else { throw .malformedLine(number, "bad id \(fields[0])") }
            guard let request = DataType(rawValue: fields[2]), let response = DataType(rawValue: fields[3]) else {
                throw .malformedLine(number, "unknown data type")
            }
            let unit = fields.count > 4 && !fields[4].isEmpty ? fields[4] : nil
            var labels: [EnumLabel] = []
            if fields.count > 5 && !fields[5].isEmpty {
                for pair in fields[5].split(separator: "|") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2, let value = Int(parts[0]) else {
                        throw .malformedLine(number, "bad enum label \(pair)")
                    }
                    labels.append(EnumLabel(value: value, label: String(parts[1])))
                }
            }
            let name = fields[1]
            guard names.insert(name).inserted else { throw .duplicateName(name, line: number) }
            guard ids.insert(id).inserted else { throw .duplicateID(id, line: number) }
            objects.append(ObjectInfo(id: id, name: name, requestType: request, responseType: response,
                                      unit: unit, labels: labels.sorted { $0.value < $1.value },
                                      summary: summaries[name], isFraction: fractionNames.remove(name) != nil))
        }
        // A fraction must name an object of the table.
        if let stray = fractionNames.first { throw .unknownName(stray) }
        // Byte order on the names: the table is kept sorted, so this is one cheap pass.
        let precedes = { (lhs: ObjectInfo, rhs: ObjectInfo) in lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
        if !zip(objects, objects.dropFirst()).allSatisfy({ precedes($0, $1) }) {
            objects.sort(by: precedes)
        }
        self.objects = objects
        var byName: [String: Int] = [:]
        byName.reserveCapacity(objects.count)
        for (index, object) in objects.enumerated() {
            byName[object.name] = index
        }
        self.byName = byName
        byID = ObjectIDIndex(objects.map(\.id))
    }

    /// The object with exactly this name.
    public func object(named name: String) -> ObjectInfo? {
        byName[name].map { objects[$0] }
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

    /// Lines split into tab-separated fields, skipping blank lines and `#` comments.
    /// Scans UTF-8 bytes directly: this runs at every start of the tool.
    static func rows(of text: String) -> [(Int, [String])] {
        var text = text
        return text.withUTF8 { bytes in
            var rows: [(Int, [String])] = []
            var lineNumber = 0
            var lineStart = 0
            while lineStart <= bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                lineNumber += 1
                if lineEnd > lineStart && bytes[lineStart] != UInt8(ascii: "#") {
                    var fields: [String] = []
                    var fieldStart = lineStart
                    for index in lineStart...lineEnd where index == lineEnd || bytes[index] == UInt8(ascii: "\t") {
                        fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[fieldStart..<index]), as: UTF8.self))
                        fieldStart = index + 1
                    }
                    rows.append((lineNumber, fields))
                }
                lineStart = lineEnd + 1
            }
            return rows
        }
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
