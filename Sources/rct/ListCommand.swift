import ArgumentParser
import RCTProtocol

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the known objects.",
        discussion: "PATTERN matches anywhere in the name, case-insensitively; * matches any run of characters.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("Only names matching this.", valueName: "pattern"))
    var pattern: String?

    @Flag(help: "Only the parameters rct can set, with what they accept.")
    var writable = false

    func run() throws {
        if connection.linkProtocol == .modbus { return listRegisters() }
        var objects = pattern.map { Registry.standard.objects(matching: $0) } ?? Registry.standard.objects
        if writable { objects = objects.filter { WriteRules.rule(for: $0.id) != nil } }
        if connection.json {
            JSONLine.print(objects.map(ObjectRecord.init))
            return
        }
        let width = objects.map(\.name.count).max() ?? 0
        for object in objects {
            let rule = WriteRules.rule(for: object.id)
            let name = object.name + String(repeating: " ", count: width - object.name.count)
            var line = "\(name)  \(object.id)  \(object.responseType.rawValue)"
            if let unit = object.unit { line += " \(unit)" }
            if let rule { line += "  writable: \(rule.accepted)" + (rule.note.map { " (\($0))" } ?? "") }
            Console.out(line)
        }
        if objects.isEmpty { Console.error("rct: no object matches '\(pattern ?? "")'") }
    }

    /// The Modbus registers (`--protocol modbus`): name, register, unit, and the registry
    /// object a register means, when it means one.
    private func listRegisters() {
        var registers = ModbusRegisterMap.standard.registers
        if let pattern { registers = registers.filter { Registry.name($0.name, matches: pattern) } }
        if connection.json {
            JSONLine.print(registers.map(RegisterRecord.init))
            return
        }
        for register in registers {
            let unit = register.object?.displayUnit ?? register.unit
            Console.out("\(register.address)  \(register.name)" + (unit.map { " [\($0)]" } ?? ""))
        }
    }
}

/// An object of `rct list --json`.
private struct ObjectRecord: Encodable {
    let name: String
    let id: String
    let type: String
    let unit: OrNull<String>
    let writable: Bool
    /// What a write accepts, for the objects rct can set.
    let accepts: String?
    /// What to know before writing it (side effects, limits), when there is something.
    let note: String?
    /// Enumeration labels by number.
    let labels: [String: String]?
    let description: OrNull<String>

    init(_ object: ObjectInfo) {
        let rule = WriteRules.rule(for: object.id)
        name = object.name
        id = object.id.description
        type = object.responseType.rawValue
        unit = OrNull(object.unit)
        writable = rule != nil
        accepts = rule?.accepted
        note = rule?.note
        labels = object.labels.isEmpty ? nil : Dictionary(object.labels.map { (String($0.value), $0.label) }) { first, _ in first }
        description = OrNull(object.summary)
    }
}

/// A register of `rct list --protocol modbus --json`.
private struct RegisterRecord: Encodable {
    let name: String
    let register: UInt16
    let count: Int
    let type: String
    let unit: OrNull<String>
    let scale: Number
    /// The registry object the register means, if it means one.
    let object: OrNull<String>

    init(_ register: ModbusRegister) {
        name = register.name
        self.register = register.address
        count = register.count
        type = register.layout.rawValue
        unit = OrNull(register.unit)
        scale = Number(register.scale)
        object = OrNull(register.object?.name)
    }
}
