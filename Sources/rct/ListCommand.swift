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
            Console.out(JSON.array(objects.map { object in
                let rule = WriteRules.rule(for: object.id)
                var members: [(String, JSON)] = [
                    ("name", .string(object.name)), ("id", .string(object.id.description)),
                    ("type", .string(object.responseType.rawValue)), ("unit", .optional(object.unit)),
                    ("writable", .bool(rule != nil)),
                ]
                if let rule { members.append(("accepts", .string(rule.accepted))) }
                if !object.labels.isEmpty {
                    members.append(("labels", .object(object.labels.map { ("\($0.value)", .string($0.label)) })))
                }
                members.append(("description", .optional(object.summary)))
                return .object(members)
            }).text)
            return
        }
        let width = objects.map(\.name.count).max() ?? 0
        for object in objects {
            let rule = WriteRules.rule(for: object.id)
            let name = object.name + String(repeating: " ", count: width - object.name.count)
            var line = "\(name)  \(object.id)  \(object.responseType.rawValue)"
            if let unit = object.unit { line += " \(unit)" }
            if let rule { line += "  writable: \(rule.accepted)" }
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
            Console.out(JSON.array(registers.map { register in
                .object([("name", .string(register.name)), ("register", .int(register.address)), ("count", .int(register.count)),
                         ("type", .string(register.layout.rawValue)), ("unit", .optional(register.unit)),
                         ("scale", .double(register.scale)), ("object", .optional(register.object?.name))])
            }).text)
            return
        }
        for register in registers {
            let unit = register.object?.displayUnit ?? register.unit
            Console.out("\(register.address)  \(register.name)" + (unit.map { " [\($0)]" } ?? ""))
        }
    }
}
