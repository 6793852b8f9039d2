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
            JSONLine.print(rows.map(Record.init))
            return
        }
        for row in rows {
            switch row.result {
            case let .success(value): Console.out("\(row.name) \(row.text(value))")
            case let .failure(failure):
                // The object is named once: many messages name it already.
                Console.error(failure.message.contains(row.name) ? "rct: \(failure.message)" : "rct: \(row.name): \(failure.message)")
            }
        }
    }

    /// A value of `rct get --json`.
    private struct Record: Encodable {
        let name: String
        let id: OrNull<String>
        let type: String
        /// `fraction`: the value stays the fraction the device sends; text shows a percentage.
        let scale: String?
        let value: ValueJSON?
        let unit: OrNull<String>
        /// The enumeration label of the value, where the object has labels.
        let label: OrNull<String>?
        let error: String?
        /// The Modbus register read, over Modbus.
        let register: UInt16?

        init(_ row: Row) {
            name = row.name
            id = OrNull(row.id)
            type = row.type
            scale = row.object?.isFraction == true ? "fraction" : nil
            unit = OrNull(row.unit)
            register = row.register
            switch row.result {
            case let .success(read):
                value = ValueJSON(read)
                if case let .integer(number) = read, let object = row.object, !object.labels.isEmpty {
                    label = OrNull(object.label(for: number))
                } else {
                    label = nil
                }
                error = nil
            case let .failure(failure):
                (value, label, error) = (nil, nil, failure.message)
            }
        }
    }
}
