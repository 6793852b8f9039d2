import RCTProtocol
import RCTSimulator
import Testing

/// The simulated battery's lifetime energy totals, which Home Assistant's Energy dashboard reads.
@Suite("The simulated battery's energy totals")
struct SimulatedBatteryTests {
    static let stored = ObjectID(0x5570401B) // battery.stored_energy
    static let used = ObjectID(0xA9033880) // battery.used_energy
    static let soc = ObjectID(0x959930BF)

    static func number(_ value: Value?) -> Double { value?.numericValue ?? .nan }

    @Test("Charging adds what went in to stored_energy, discharging what came out to used_energy; holding adds nothing",
          arguments: [-3000.0, 2000.0, 0.0])
    func totalsFollowTheBattery(power: Double) {
        var inverter = SimulatedInverter(capacityWattHours: 10_000)
        inverter.advance(to: 0)
        inverter.set(.integer(WriteRules.Strategy.external), for: WriteRules.socStrategyID)
        inverter.set(.float(Float(power)), for: WriteRules.batteryPowerExternID)
        let (storedBefore, usedBefore, socBefore) = (Self.number(inverter.value(of: Self.stored)), Self.number(inverter.value(of: Self.used)),
                                                     Self.number(inverter.value(of: Self.soc)))
        // Half an hour in steps, as a daemon's polls would see it.
        for step in 1...30 { inverter.advance(to: Double(step) * 60) }
        let movedIn = Self.number(inverter.value(of: Self.stored)) - storedBefore
        let movedOut = Self.number(inverter.value(of: Self.used)) - usedBefore
        let socMoved = (Self.number(inverter.value(of: Self.soc)) - socBefore) * 10_000
        // Float totals of about a million Wh keep steps of an eighth of a Wh.
        #expect(abs(movedIn - max(0, -power / 2)) < 5, "into the battery: \(movedIn) Wh")
        #expect(abs(movedOut - max(0, power / 2)) < 5, "out of the battery: \(movedOut) Wh")
        #expect(abs(socMoved - (movedIn - movedOut)) < 5)
    }
}
