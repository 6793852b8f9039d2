import Testing
@testable import RCTProtocol

@Suite("Payload")
struct PayloadTests {
    @Test("Inline and heap payloads hold their bytes and compare by content", arguments: [0, 1, 4, 8, 9, 15, 16, 17, 300])
    func storage(size: Int) {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let payload = Payload(bytes)
        #expect(Array(payload) == bytes)
        #expect(payload.count == size)
        #expect(payload == Payload(bytes))
        #expect(payload.bytes == bytes)
        var shorter = payload
        if size > 0 {
            shorter.removeLast()
            #expect(Array(shorter) == Array(bytes.dropLast()))
        }
        let optional: Frame? = Frame(command: .write, objectID: ObjectID(1), payload: bytes)
        #expect(optional?.payload == Payload(bytes))
    }

    @Test("Optional comparison with a literal")
    func literal() {
        let frames = [Frame(command: .write, objectID: ObjectID(1), payload: [2])]
        let writes = frames.filter { $0.command == .write }
        #expect(writes.first?.payload == [2])
    }
}
