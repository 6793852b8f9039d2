import RCTProtocol
import RCTTransport

/// `rct get` over Modbus: each name is a register of the map, read one after the other.
struct ModbusGet {
    let connection: ConnectionOptions

    /// Reads the registers `names` and prints them as `rct get` does; the exit status of the
    /// first failure, or success.
    func run(_ names: [String]) throws -> ExitStatus {
        let map = ModbusRegisterMap.standard
        let registers = try names.map { name in
            guard let register = map.register(named: name) else {
                throw Failure("unknown Modbus register '\(name)'; 'rct list --protocol modbus' shows what can be read", status: .badInput)
            }
            return register
        }
        let link = try ModbusSession.open(connection)
        let started = Deadline.now
        var results: [(ModbusRegister, Result<Value, Failure>)] = []
        for register in registers {
            if let signal = Interruption.signal { throw ClientError.interrupted(signal: signal) }
            if connection.trace { trace(started, ">", request(register, slave: link.address)) }
            do {
                let (words, value) = try link.read(register)
                if connection.trace {
                    let bytes = words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
                    trace(started, "<", "slave \(link.address) data \(HexText.format(bytes)) (\(register.name) = \(OutputText.value(value, of: register)))")
                }
                results.append((register, .success(value)))
            } catch {
                if connection.trace { trace(started, "<", error.description) }
                if case .interrupted = error { throw error }
                results.append((register, .failure(Failure(error))))
            }
        }
        print(results)
        return results.compactMap { if case let .failure(failure) = $0.1 { failure.status } else { nil } }.first ?? .success
    }

    /// The request as its PDU in hex (function 03, start, count; libmodbus adds the slave
    /// address and CRC on the wire) and what it asks.
    private func request(_ register: ModbusRegister, slave: Int) -> String {
        let pdu: [UInt8] = [0x03, UInt8(register.address >> 8), UInt8(register.address & 0xFF), 0, UInt8(register.count)]
        return "slave \(slave) PDU \(HexText.format(pdu)) (read \(register.count) holding register\(register.count == 1 ? "" : "s") from \(register.address): \(register.name))"
    }

    private func trace(_ started: Deadline, _ arrow: String, _ text: String) {
        let time = FrameDump.seconds(started.elapsedSeconds)
        Console.error("trace \(time) \(arrow) modbus \(text)")
    }

    private func print(_ results: [(ModbusRegister, Result<Value, Failure>)]) {
        ReadOutput(json: connection.json).print(results.map { register, result in
            ReadOutput.Row(name: register.name, id: register.object?.id.description,
                           type: register.object?.responseType.rawValue ?? register.layout.rawValue, unit: register.unit,
                           object: register.object, register: register.address, result: result,
                           text: { OutputText.value($0, of: register) })
        })
    }
}
