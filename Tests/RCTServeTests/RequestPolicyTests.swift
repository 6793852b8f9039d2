import RCTProtocol
import Testing
@testable import RCTServe

@Suite("Gateway write policy")
struct RequestPolicyTests {
    static let strategy = WriteRules.socStrategyID
    static let socMin = WriteRules.socMinID
    static let history = ObjectID(0x5293B668)
    static let events = ObjectID(0x6F3876BC)
    static let comService = ObjectID(0x8FC89B10)

    static func float(_ value: Float) -> [UInt8] { (try? ValueCodec.encode(.float(value), as: .float)) ?? [] }

    @Test("Reads pass; answers from clients are ignored")
    func reads() {
        let read = Frame(command: .read, objectID: Self.strategy)
        #expect(RequestPolicy.decide(read, allowsWrites: false) == .read(read))
        let plantRead = Frame(command: .plantRead, objectID: Self.strategy, address: 7)
        #expect(RequestPolicy.decide(plantRead, allowsWrites: false) == .read(plantRead))
        for command in [Command.response, .longResponse, .plantResponse, .plantLongResponse] {
            #expect(RequestPolicy.decide(Frame(command: command, objectID: Self.strategy, payload: [4]), allowsWrites: true) == .ignored)
        }
    }

    @Test("READ_PERIODICALLY is answered once as a READ and never forwarded as it came")
    func periodic() {
        #expect(RequestPolicy.decide(Frame(command: .readPeriodically, objectID: Self.strategy), allowsWrites: true)
            == .read(Frame(command: .read, objectID: Self.strategy)))
        #expect(RequestPolicy.decide(Frame(command: .plantReadPeriodically, objectID: Self.strategy, address: 3), allowsWrites: true)
            == .read(Frame(command: .plantRead, objectID: Self.strategy, address: 3)))
    }

    @Test("History and event-table requests are reads, even read-only; only with a 4-byte timestamp",
          arguments: [history, events])
    func historyRequests(id: ObjectID) {
        let request = Frame(command: .write, objectID: id, payload: [0x66, 0x5B, 0x0D, 0x40])
        #expect(RequestPolicy.decide(request, allowsWrites: false) == .read(request))
        guard case .refused = RequestPolicy.decide(Frame(command: .write, objectID: id, payload: [1, 2]), allowsWrites: true) else {
            Issue.record("a malformed history request passed")
            return
        }
    }

    @Test("Read-only: every write is refused, with the object named")
    func readOnly() {
        let decision = RequestPolicy.decide(Frame(command: .write, objectID: Self.strategy, payload: [2]), allowsWrites: false)
        guard case let .refused(reason) = decision else {
            Issue.record("not refused: \(decision)")
            return
        }
        #expect(reason.contains("power_mng.soc_strategy") && reason.contains("read-only"))
    }

    @Test("With writes allowed, valid values of writable parameters become verified writes")
    func allowed() throws {
        let rule = try #require(WriteRules.rule(for: Self.strategy))
        #expect(RequestPolicy.decide(Frame(command: .write, objectID: Self.strategy, payload: [2]), allowsWrites: true)
            == .write(rule, .integer(2)))
        let minRule = try #require(WriteRules.rule(for: Self.socMin))
        #expect(RequestPolicy.decide(Frame(command: .write, objectID: Self.socMin, payload: Self.float(0.3)), allowsWrites: true)
            == .write(minRule, .float(0.3)))
    }

    @Test("Values from automation: finer than the step is rounded, battery power beyond the limit clamped; both said")
    func adapted() throws {
        let minRule = try #require(WriteRules.rule(for: Self.socMin))
        #expect(RequestPolicy.decide(Frame(command: .write, objectID: Self.socMin, payload: Self.float(0.5543098)), allowsWrites: true)
            == .write(minRule, .float(0.55), adjusted: "power_mng.soc_min: 0.55431 rounded to 55 %"))
        let extern = WriteRules.batteryPowerExternID
        let limited = try #require(WriteRules.rule(for: extern)).limitingPower(to: 6000)
        #expect(RequestPolicy.decide(Frame(command: .write, objectID: extern, payload: Self.float(-10000)), allowsWrites: true)
            == .write(limited, .float(-6000), adjusted: "power_mng.battery_power_extern: -10000 clamped to the battery power limit, -6000"))
        // A higher limit lets more through, and the rule carried out takes it.
        let higher = try #require(WriteRules.rule(for: extern)).limitingPower(to: 8000)
        #expect(RequestPolicy.decide(Frame(command: .write, objectID: extern, payload: Self.float(-7000)), allowsWrites: true, powerLimit: 8000)
            == .write(higher, .float(-7000)))
        // A length that does not fit says what the write carried.
        #expect(RequestPolicy.decide(Frame(command: .write, objectID: Self.socMin, payload: [1, 2]), allowsWrites: true)
            == .refused("write to power_mng.soc_min refused: the write carried 2 bytes, a float value takes 4"))
    }

    /// Each of these is refused even with --allow-writes.
    static let refusedWrites: [(String, Frame)] = [
        ("enum value out of range", Frame(command: .write, objectID: strategy, payload: [9])),
        ("float out of range", Frame(command: .write, objectID: socMin, payload: float(1.5))),
        ("NaN", Frame(command: .write, objectID: socMin, payload: [0x7F, 0xC0, 0, 0])),
        ("malformed payload", Frame(command: .write, objectID: socMin, payload: [0x3E])),
        ("empty payload", Frame(command: .write, objectID: strategy)),
        ("com_service (flash, erase)", Frame(command: .write, objectID: comService, payload: [5])),
        ("unknown object", Frame(command: .write, objectID: ObjectID(0x0000_0001), payload: [1])),
        ("read-only object", Frame(command: .write, objectID: ObjectID(0x959930BF), payload: float(0.5))),
        ("plant write", Frame(command: .plantWrite, objectID: strategy, payload: [2], address: 1)),
        ("long write", Frame(command: .longWrite, objectID: strategy, payload: [UInt8](repeating: 2, count: 300))),
    ]

    @Test("Refused even with --allow-writes", arguments: refusedWrites.indices)
    func refused(index: Int) {
        let (what, frame) = Self.refusedWrites[index]
        guard case .refused = RequestPolicy.decide(frame, allowsWrites: true) else {
            Issue.record("\(what) was not refused")
            return
        }
    }
}
