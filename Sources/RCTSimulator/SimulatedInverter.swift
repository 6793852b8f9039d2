import RCTProtocol

/// The behaviour of an inverter, without any I/O: answers requests and moves the battery.
///
/// Like current firmware it answers READ for every known object, applies valid WRITEs to
/// the writable parameters, ignores invalid ones, does not acknowledge writes unless
/// told to, and stays silent for objects it does not know.
public struct SimulatedInverter: Sendable {
    /// Whether a WRITE is answered with the value now in effect.
    public var acknowledgesWrites: Bool
    /// Usable battery capacity in watt-hours, for the state-of-charge model.
    public var capacityWattHours: Double
    private let registry: Registry
    private var overrides: [ObjectID: Value] = [:]
    private var clock: Double?

    /// A fresh inverter in its factory state, with the battery at 55 %.
    public init(registry: Registry = .standard, acknowledgesWrites: Bool = false, capacityWattHours: Double = 10_000) {
        self.registry = registry
        self.acknowledgesWrites = acknowledgesWrites
        self.capacityWattHours = capacityWattHours
    }

    /// The value of an object now; nil for objects without a simulated value.
    public func value(of id: ObjectID) -> Value? {
        if let value = overrides[id] { return value }
        return registry.object(id: id).flatMap(PlausibleValues.initial)
    }

    /// Sets a value directly, as if something on the device had changed it.
    public mutating func set(_ value: Value, for id: ObjectID) {
        overrides[id] = value
    }

    /// The frames the device sends in answer to `request`, at `time` seconds.
    public mutating func handle(_ request: Frame, at time: Double) -> [Frame] {
        advance(to: time)
        guard let object = registry.object(id: request.objectID) else { return [] }
        switch request.command {
        case .read, .readPeriodically, .plantRead, .plantReadPeriodically:
            guard let value = value(of: object.id) else { return [] }
            return answer(object, value, to: request)
        case .write, .longWrite, .plantWrite, .plantLongWrite:
            if object.isHistory {
                guard case let .integer(when)? = try? ValueCodec.decode(request.payload, as: .int32),
                      let value = PlausibleValues.history(for: object, at: when) else { return [] }
                return answer(object, value, to: request)
            }
            guard let rule = WriteRules.rule(for: object.id),
                  let value = try? ValueCodec.decode(request.payload, as: rule.type),
                  (try? rule.validate(value)) != nil else { return [] }
            overrides[object.id] = value
            return acknowledgesWrites ? answer(object, value, to: request) : []
        case .response, .longResponse, .plantResponse, .plantLongResponse:
            return []
        }
    }

    /// Moves the simulated battery to `time` seconds: under strategy External the
    /// external power setpoint charges or discharges it, and the energy that went in or out
    /// is added to the battery's lifetime totals (`battery.stored_energy`,
    /// `battery.used_energy`); otherwise it holds.
    public mutating func advance(to time: Double) {
        defer { clock = max(clock ?? time, time) }
        guard let last = clock, time > last else { return }
        let strategy = value(of: WriteRules.socStrategyID)
        guard strategy == .integer(WriteRules.Strategy.external),
              case let .float(power)? = value(of: WriteRules.batteryPowerExternID),
              case let .float(soc)? = value(of: socID) else {
            overrides[batteryPowerID] = .float(0)
            return
        }
        let lower = value(of: WriteRules.socMinID)?.numericValue ?? 0
        let upper = value(of: WriteRules.socMaxID)?.numericValue ?? 1
        var next = Double(soc) - Double(power) * (time - last) / 3600 / capacityWattHours
        if power > 0 { next = max(next, min(Double(soc), lower)) }
        if power < 0 { next = min(next, max(Double(soc), upper)) }
        let settled = min(1, max(0, next))
        overrides[socID] = .float(Float(settled))
        overrides[batteryPowerID] = .float(power)
        let moved = (settled - Double(soc)) * capacityWattHours
        let total = moved > 0 ? storedEnergyID : usedEnergyID
        if moved != 0, case let .float(sum)? = value(of: total) { overrides[total] = .float(sum + Float(abs(moved))) }
    }

    /// Lifetime energy into the battery and out of it, Wh.
    private var storedEnergyID: ObjectID { ObjectID(0x5570401B) }
    private var usedEnergyID: ObjectID { ObjectID(0xA9033880) }

    private var socID: ObjectID { ObjectID(0x959930BF) }
    private var batteryPowerID: ObjectID { ObjectID(0x400F015B) }

    private func answer(_ object: ObjectInfo, _ value: Value, to request: Frame) -> [Frame] {
        guard let payload = try? ValueCodec.encode(value, as: object.responseType) else { return [] }
        // History answers come as long responses whatever their size, as in captures of real devices.
        let long = object.isHistory || payload.count > Frame.maximumPayload(for: .response)
        let command: Command = request.command.isPlant
            ? (long ? .plantLongResponse : .plantResponse)
            : (long ? .longResponse : .response)
        return [Frame(command: command, objectID: object.id, payload: payload, address: request.address)]
    }
}
