@testable import RCTProtocol
import Testing

@Suite("Modbus register map and register values")
struct ModbusRegisterTests {
    static let map = ModbusRegisterMap.standard

    @Test("The embedded map loads: 47 values, unique names, addresses from 40000 to 40081, no overlaps")
    func standardMap() throws {
        let registers = Self.map.registers
        #expect(registers.count == 47)
        #expect(Set(registers.map(\.name)).count == registers.count)
        #expect(registers.first?.address == 40000)
        #expect(registers.last?.address == 40081)
        for (earlier, later) in zip(registers, registers.dropFirst()) {
            #expect(Int(earlier.address) + earlier.count <= Int(later.address), "\(earlier.name) overlaps \(later.name)")
        }
        // Registers that mean registry objects take their unit; the rest are named modbus.*.
        let soc = try #require(Self.map.register(named: "battery.soc"))
        #expect(soc.object?.isFraction == true)
        #expect(soc.address == 40075)
        #expect(registers.filter { $0.object != nil }.map(\.name).sorted() == [
            "battery.soc", "dc_conv.dc_conv_struct[0].p_dc_lp", "dc_conv.dc_conv_struct[0].u_sg_lp",
            "dc_conv.dc_conv_struct[1].p_dc_lp", "dc_conv.dc_conv_struct[1].u_sg_lp", "grid_pll[0].f", "prim_sm.state",
        ])
        #expect(registers.allSatisfy { $0.object != nil || $0.name.hasPrefix("modbus.") })
    }

    @Test("Words become values: scale, sign, 32 bits high word first, text trimmed", arguments: [
        ("battery.soc", [552], Value.float(0.552)),
        ("prim_sm.state", [11], Value.integer(11)),
        ("modbus.phase_a_current", [0xFF38], Value.float(-2.0)),
        ("modbus.voltage_an", [2305], Value.float(230.5)),
        ("modbus.ac_energy_total", [1, 2], Value.integer(65538)),
        ("modbus.grid_power", [0xFFFE], Value.float(-20)),
        ("modbus.stored_energy", [52], Value.float(5200)),
        ("modbus.version", [0x3532, 0x3332, 0, 0, 0, 0, 0, 0], Value.string("5232")),
        ("modbus.serial_number", [0x2020, 0x4142, 0x4320, 0x2000, 0, 0, 0, 0], Value.string("ABC")),
    ])
    func values(name: String, words: [Int], expected: Value) throws {
        let register = try #require(Self.map.register(named: name))
        let value = try register.value(of: words.map { UInt16($0) })
        if case let .float(got) = value, case let .float(want) = expected {
            #expect(abs(got - want) <= abs(want) * 1e-6, "\(got)")
        } else {
            #expect(value == expected)
        }
    }

    @Test("Too few or too many words are an error, not a crash")
    func wrongWordCount() throws {
        let register = try #require(Self.map.register(named: "modbus.ac_energy_total"))
        #expect(throws: ModbusValueError(name: "modbus.ac_energy_total", expected: 2, got: 1)) { try register.value(of: [1]) }
        #expect(throws: ModbusValueError.self) { try register.value(of: []) }
    }

    @Test("Broken maps are refused with the line", arguments: [
        ("40000\t1\tint16\t1\t-\tmodbus.a", ModbusMapError.malformedLine(1)),
        ("40000\t2\tint16\t1\t-\tmodbus.a\tx", ModbusMapError.malformedLine(1)),
        ("40000\t1\tfloat\t1\t-\tmodbus.a\tx", ModbusMapError.malformedLine(1)),
        ("40000\t1\tuint16\t0\t-\tmodbus.a\tx", ModbusMapError.malformedLine(1)),
        ("65535\t2\tuint32\t1\t-\tmodbus.a\tx", ModbusMapError.malformedLine(1)),
        ("40000\t1\tuint16\t1\t-\tmodbus.a\tx\n40001\t1\tuint16\t1\t-\tmodbus.a\tx", ModbusMapError.duplicateName("modbus.a", line: 2)),
        ("40075\t1\tuint16\t1\tV\tbattery.voltage_x\tx", ModbusMapError.unknownName("battery.voltage_x", line: 1)),
        ("40075\t1\tuint16\t1\tA\tgrid_pll[0].f\tx", ModbusMapError.unitMismatch("grid_pll[0].f", line: 1)),
    ])
    func brokenMaps(table: String, error: ModbusMapError) {
        #expect(throws: error) { try ModbusRegisterMap(table: table, registry: .standard) }
    }
}
