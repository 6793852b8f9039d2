import RCTProtocol
import RCTTransport
import Testing

@Suite("The window of reads under way")
struct ReadWindowTests {
    static let soc = ObjectID(0x959930BF)
    static let strategy = ObjectID(0xF168B748)
    let start = Deadline.now

    func at(_ seconds: Double) -> Deadline { start.adding(seconds: seconds) }

    @Test("Answers find their request by object id, whatever the order they come in")
    func matching() {
        var window = ReadWindow<String>(capacity: 4)
        window.sent(Frame(command: .read, objectID: Self.soc), tag: "soc", at: at(0), deadline: at(1))
        window.sent(Frame(command: .read, objectID: Self.strategy), tag: "strategy", at: at(0), deadline: at(1))
        #expect(window.index(answeredBy: Frame(command: .response, objectID: Self.strategy, payload: [2])) == 1)
        #expect(window.index(answeredBy: Frame(command: .response, objectID: Self.soc, payload: [0, 0, 0, 0])) == 0)
        // A request is not its own answer; another object answers nothing.
        #expect(window.index(answeredBy: Frame(command: .read, objectID: Self.soc)) == nil)
        #expect(window.index(answeredBy: Frame(command: .response, objectID: ObjectID(1), payload: [1])) == nil)
        #expect(window.remove(at: 1).tag == "strategy")
        #expect(window.flights.map(\.tag) == ["soc"])
    }

    @Test("Plant answers belong to the request for the same address")
    func plantAddresses() {
        var window = ReadWindow<Int>(capacity: 2)
        window.sent(Frame(command: .plantRead, objectID: Self.soc, address: 7), tag: 7, at: at(0), deadline: at(1))
        #expect(window.index(answeredBy: Frame(command: .plantResponse, objectID: Self.soc, payload: [1, 2, 3, 4], address: 8)) == nil)
        #expect(window.index(answeredBy: Frame(command: .plantResponse, objectID: Self.soc, payload: [1, 2, 3, 4], address: 7)) == 0)
        #expect(window.index(answeredBy: Frame(command: .response, objectID: Self.soc, payload: [1, 2, 3, 4])) == nil)
    }

    @Test("Room, and one request per object at a time", arguments: [1, 2, 3])
    func room(capacity: Int) {
        var window = ReadWindow<Int>(capacity: capacity)
        #expect(window.isEmpty && window.hasRoom)
        for index in 0..<capacity {
            #expect(window.hasRoom)
            window.sent(Frame(command: .read, objectID: ObjectID(UInt32(index))), tag: index, at: at(0), deadline: at(1))
        }
        #expect(!window.hasRoom)
        #expect(window.isReading(ObjectID(0)))
        #expect(!window.isReading(ObjectID(UInt32(capacity))))
    }

    @Test("Overdue requests come oldest first; a resend counts and moves the deadline")
    func overdue() {
        var window = ReadWindow<String>(capacity: 3)
        window.sent(Frame(command: .read, objectID: Self.soc), tag: "soc", at: at(0), deadline: at(2))
        window.sent(Frame(command: .read, objectID: Self.strategy), tag: "strategy", at: at(0.5), deadline: at(1))
        #expect(window.soonestDeadline == at(1))
        #expect(window.indexOfOverdue(at: at(0.9)) == nil)
        #expect(window.indexOfOverdue(at: at(1)) == 1)
        #expect(window.indexOfOverdue(at: at(2.5)) == 0)
        window.resent(at: 1, deadline: at(3))
        #expect(window.flights[1].attempts == 2)
        #expect(window.flights[1].started == at(0.5))
        #expect(window.indexOfOverdue(at: at(1.5)) == nil)
        #expect(window.soonestDeadline == at(2))
        window.removeAll()
        #expect(window.isEmpty && window.soonestDeadline == nil)
    }
}
