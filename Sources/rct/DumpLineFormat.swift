import RCTProtocol

/// Writes dump lines, each ended, as text or as JSON records, keeping what the text lines of
/// one kind of frame share (``FrameLineWriter``).
struct DumpLineFormat {
    /// Whether lines are JSON records.
    let json: Bool
    private var frames = FrameLineWriter()
    private let encoder = JSONLine()

    /// A format for text lines, or for JSON records with `json`.
    init(json: Bool) {
        self.json = json
    }

    /// Appends `line` and its line end to `text`.
    mutating func append(_ line: borrowing DumpLine, to text: inout TextBuffer) {
        if json {
            text.append(encoder.text(line.record))
        } else {
            line.write(to: &text, frames: &frames)
        }
        text.append(ascii: UInt8(ascii: "\n"))
    }
}
