import ArgumentParser
import RCTControl
import RCTProtocol
import RCTTransport

struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set a writable parameter, validated first and verified by reading back.",
        discussion: """
        The current value is read first; an equal value is not written again (unless --force). \
        After the write the value is read back and compared (floats within 0.005). Written \
        values live in RAM: the inverter forgets them on reboot. 'rct list --writable' shows \
        what can be set and what each parameter accepts.
        """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("The parameter.", valueName: "name"), completion: .custom(Completions.writableNames))
    var name: String

    // Collected this way so that negative numbers such as -6000 are values, not options.
    @Argument(parsing: .allUnrecognized,
              help: ArgumentHelp("The new value: a number, an enum number or label, or true/false.", valueName: "value"))
    var values: [String] = []

    var value: String { values.first ?? "" }

    @Flag(help: "Write even if the inverter already has this value.")
    var force = false

    @Flag(name: .customLong("dry-run"), help: "Print the frame that would be sent, in hex, and send nothing.")
    var dryRun = false

    func validate() throws {
        if values.count != 1 {
            throw ValidationError(values.isEmpty ? "give the new value after the name" : "give exactly one value; got \(values.joined(separator: " "))")
        }
    }

    func run() throws {
        try reportingFailures {
            try ModbusSession.refuse("set", writes: true, connection)
            let rule = try Self.rule(for: name)
            let parsed = try rule.parse(value)
            if dryRun {
                let frame = Frame(command: .write, objectID: rule.id, payload: try ValueCodec.encode(parsed, as: rule.type))
                let bytes = try frame.encoded()
                if connection.json {
                    JSONLine.print(DryRunRecord(name: rule.name, id: rule.id.description, new: ValueJSON(parsed),
                                                frame: HexText.format(bytes, separator: "")))
                } else {
                    Console.out("would send WRITE \(rule.name) = \(rule.describe(parsed)): \(HexText.format(bytes))")
                }
                return .success
            }
            let session = try Session(connection)
            // The first exchange goes through the session, so a silent serial port can give way to TCP.
            let current = try Registry.standard.object(id: rule.id).map { try session.read($0) }
            let writer = ParameterWriter(client: session.client)
            for warning in try writer.crossCheck([rule.id: parsed]) {
                Console.error("rct: warning: \(warning)")
            }
            do {
                let outcome = try writer.set(rule, to: parsed, force: force, current: current)
                report(outcome)
                if outcome.written {
                    Console.remindNotFlashed()
                }
                return .success
            } catch let ControlError.verificationFailed(name, wrote, readBack) {
                if connection.json {
                    JSONLine.print(WriteRecord(rule, old: current, new: parsed, written: true, verified: false, readBack: readBack))
                }
                if let status = GatewayStatus.ask(session.client), !status.allowsWrites {
                    throw Failure("\(name): not written: \(session.client.transport.label) is an rct serve gateway that is read-only (the value stays \(readBack)); start it with --allow-writes to allow writes", status: .verificationFailed)
                }
                throw ControlError.verificationFailed(name: name, wrote: wrote, readBack: readBack)
            }
        }
    }

    private func report(_ outcome: WriteOutcome) {
        let rule = outcome.rule
        if connection.json {
            JSONLine.print(WriteRecord(outcome))
        } else if outcome.written {
            Console.out("\(rule.name): \(rule.describe(outcome.old)) -> \(rule.describe(outcome.new)), written and verified")
        } else {
            Console.out("\(rule.name): already \(rule.describe(outcome.old)), unchanged (nothing written)")
        }
    }

    /// The rule for a name or id; anything not writable is bad input that names the writable ones.
    static func rule(for name: String) throws -> WriteRule {
        if let rule = WriteRules.rule(named: name) { return rule }
        let object = try Registry.standard.resolve(name)
        if let rule = WriteRules.rule(for: object.id) { return rule }
        let names = WriteRules.all.map(\.name).joined(separator: ", ")
        throw Failure("\(object.name) is not writable with rct; writable: \(names)", status: .badInput)
    }
}

/// The documented `set --json` object, also the body of the scenarios' step events.
struct WriteRecord: Encodable {
    let name: String
    let id: String
    let old: OrNull<ValueJSON>
    let new: ValueJSON
    let written: Bool
    let verified: Bool
    /// What the device answered instead, only when verification failed.
    let readBack: String?

    private enum CodingKeys: String, CodingKey {
        case name, id, old, new, written, verified, readBack = "read_back"
    }

    init(_ rule: WriteRule, old: Value?, new: Value, written: Bool, verified: Bool, readBack: String? = nil) {
        name = rule.name
        id = rule.id.description
        self.old = OrNull(old.map(ValueJSON.init))
        self.new = ValueJSON(new)
        self.written = written
        self.verified = verified
        self.readBack = readBack
    }

    /// The record of a write that was carried out (or found unneeded).
    init(_ outcome: WriteOutcome) {
        self.init(outcome.rule, old: outcome.old, new: outcome.new, written: outcome.written, verified: outcome.verified)
    }
}

/// What `set --dry-run --json` would send.
private struct DryRunRecord: Encodable {
    let name: String
    let id: String
    let new: ValueJSON
    /// The WRITE frame in hex.
    let frame: String
    let sent = false
}
