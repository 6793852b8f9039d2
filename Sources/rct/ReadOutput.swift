import RCTProtocol

/// What `rct get` prints for each value read, over the RCT protocol or Modbus: one line of
/// text per value (errors on stderr), or one JSON array.
struct ReadOutput {
    /// One value read, or why it could not be.
    struct Row {
        let name: String
        let id: String?
        let type: String
        let unit: String?
        /// The registry object, for the fraction scale and enum labels.
        let object: ObjectInfo?
        /// The Modbus register, over Modbus.
        let register: UInt16?
        let result: Result<Value, Failure>
        /// The value as text, with its unit.
        let text: (Value) -> String
    }

    let json: Bool

    /// Prints the rows in the order given.
    func print(_ rows: [Row]) {
        if json {
            Console.out(JSON.array(rows.map(Self.json)).text)
            return
        }
        for row in rows {
            switch row.result {
            case let .success(value): Console.out("\(row.name) \(row.text(value))")
            case let .failure(failure): Console.error("rct: \(row.name): \(failure.message)")
            }
        }
    }

    private static func json(_ row: Row) -> JSON {
        var members: [(String, JSON)] = [("name", .string(row.name)), ("id", .optional(row.id)), ("type", .string(row.type))]
        // The value stays the fraction the device sends; text shows it as a percentage.
        if row.object?.isFraction == true { members.append(("scale", .string("fraction"))) }
        switch row.result {
        case let .success(value):
            members.append(("value", JSONValue.of(value)))
            members.append(("unit", .optional(row.unit)))
            if case let .integer(number) = value, let object = row.object, !object.labels.isEmpty {
                members.append(("label", .optional(object.label(for: number))))
            }
        case let .failure(failure):
            members.append(("unit", .optional(row.unit)))
            members.append(("error", .string(failure.message)))
        }
        if let register = row.register { members.append(("register", .int(register))) }
        return .object(members)
    }
}
