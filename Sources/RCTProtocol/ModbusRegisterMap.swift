/// The registers readable over Modbus on the RS-485 terminal, from `Registry/modbus.tsv`.
public struct ModbusRegisterMap: Sendable {
    /// The map built into the tool.
    public static let standard: ModbusRegisterMap = {
        do {
            return try ModbusRegisterMap(table: modbusTableText, registry: .standard)
        } catch {
            // The embedded table is checked by the tests; reaching this is a build defect.
            fatalError("embedded Modbus register map is malformed: \(error)")
        }
    }()

    /// Every register, in address order.
    public let registers: [ModbusRegister]

    /// Reads a map: lines of register, count, type, scale, unit (`-` for none), name and
    /// source, tab-separated. A name that the registry knows must keep that object's unit.
    public init(table: String, registry: Registry) throws(ModbusMapError) {
        var registers: [ModbusRegister] = []
        var names = Set<String>()
        for (line, fields) in TableText(table).stringRows {
            guard fields.count == 7, let address = UInt16(fields[0]), let count = Int(fields[1]), (1...125).contains(count),
                  let layout = ModbusRegister.Layout(rawValue: fields[2]), let scale = Double(fields[3]),
                  scale.isFinite, scale > 0, !fields[5].isEmpty, !fields[6].isEmpty
            else { throw .malformedLine(line) }
            let expectedCount = switch layout {
            case .int16, .uint16: 1
            case .uint32: 2
            case .ascii: count
            }
            guard count == expectedCount, Int(address) + count <= 65536 else { throw .malformedLine(line) }
            let name = fields[5]
            guard names.insert(name).inserted else { throw .duplicateName(name, line: line) }
            let unit = fields[4] == "-" ? nil : fields[4]
            let object = registry.object(named: name)
            if let object, object.unit != unit, !(object.isFraction && unit == nil) {
                throw .unitMismatch(name, line: line)
            }
            if object == nil, !name.hasPrefix("modbus.") { throw .unknownName(name, line: line) }
            registers.append(ModbusRegister(address: address, count: count, layout: layout, scale: scale,
                                            unit: unit ?? object?.unit, name: name, object: object))
        }
        self.registers = registers.sorted { $0.address < $1.address }
    }

    /// The register with this name (as `rct list --protocol modbus` shows it).
    public func register(named name: String) -> ModbusRegister? {
        registers.first { $0.name == name } ?? registers.first { $0.name.lowercased() == name.lowercased() }
    }
}

/// Why a Modbus register map could not be read.
public enum ModbusMapError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A line does not have the expected shape.
    case malformedLine(Int)
    /// A name appears twice.
    case duplicateName(String, line: Int)
    /// A registry object's name with another unit than the registry's.
    case unitMismatch(String, line: Int)
    /// A name neither in the registry nor under `modbus.`.
    case unknownName(String, line: Int)

    public var description: String {
        switch self {
        case let .malformedLine(line): "line \(line): expected register, count, type, scale, unit, name and source"
        case let .duplicateName(name, line): "line \(line): \(name) appears twice"
        case let .unitMismatch(name, line): "line \(line): \(name) must keep the registry's unit"
        case let .unknownName(name, line): "line \(line): \(name) is no registry object and not under modbus."
        }
    }
}
