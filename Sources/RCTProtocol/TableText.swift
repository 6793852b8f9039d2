/// A tab-separated table with `#` comments, read as UTF-8 bytes.
///
/// The object table is read at every start of the tool, so rows are not split into strings:
/// each field is a range of bytes, and a reader makes values of the fields it keeps.
struct TableText {
    /// The table's bytes.
    let bytes: [UInt8]

    /// One line that is neither blank nor a comment.
    struct Row {
        /// The line number, from 1.
        let line: Int
        /// Where each field's bytes are in ``TableText/bytes``.
        let fields: [Range<Int>]
    }

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// The rows in table order, skipping blank lines and `#` comments.
    var rows: [Row] {
        bytes.withUnsafeBufferPointer { bytes in
            var rows: [Row] = []
            var line = 0
            var start = 0
            while start <= bytes.count {
                line += 1
                var fields: [Range<Int>] = []
                fields.reserveCapacity(8)  // room for an object table row: one allocation a row
                var fieldStart = start
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") {
                    if bytes[end] == UInt8(ascii: "\t") {
                        fields.append(fieldStart..<end)
                        fieldStart = end + 1
                    }
                    end += 1
                }
                if end > start && bytes[start] != UInt8(ascii: "#") {
                    fields.append(fieldStart..<end)
                    rows.append(Row(line: line, fields: fields))
                }
                start = end + 1
            }
            return rows
        }
    }

    /// The text of a field.
    func string(_ field: Range<Int>) -> String {
        String(decoding: bytes[field], as: UTF8.self)
    }

    /// The rows with their fields as strings, for small tables.
    var stringRows: [(line: Int, fields: [String])] {
        rows.map { row in (row.line, row.fields.map(string)) }
    }
}
