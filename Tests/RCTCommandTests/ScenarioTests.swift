import Foundation
import RCTTestSupport
import Testing

/// Reads the settings a scenario must hand back.
private func forcedState(_ endpoint: String) throws -> [String: Any] {
    let items = try jsonObjects(try rct("get", "power_mng.soc_strategy", "power_mng.battery_power_extern",
                                        "power_mng.use_grid_power_enable", "--json", "--host", endpoint).stdout)
    return Dictionary(uniqueKeysWithValues: items.map { ($0["name"] as! String, $0["value"] as Any) })
}

private func expectHandedBack(_ endpoint: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let state = try forcedState(endpoint)
    #expect(state["power_mng.soc_strategy"] as? Int == 4, sourceLocation: sourceLocation)
    #expect((state["power_mng.battery_power_extern"] as? NSNumber)?.doubleValue == 0, sourceLocation: sourceLocation)
    #expect(state["power_mng.use_grid_power_enable"] as? Bool == false, sourceLocation: sourceLocation)
}

@Suite("Scenarios: charge, hold, reserve with a guaranteed hand-back", .serialized)
struct ScenarioTests {
    @Test("charge reaches its target, reports each step in JSON and hands back")
    func chargeToTarget() throws {
        let simulator = try SimulatorProcess(["--speed", "600"])
        defer { simulator.stop() }
        let result = try rct("charge", "--power", "6000", "--until-soc", "0.58", "--max-duration", "60s", "--poll", "0.2",
                             "--json", "--host", simulator.endpoint)
        #expect(result.status == 0, "\(result.stderr)")
        let events = try result.lines.map { try #require(try json($0) as? [String: Any]) }
        let steps = events.filter { $0["event"] as? String == "step" }
        #expect(steps.map { "\($0["phase"]!) \($0["name"]!)" } == [
            "enter power_mng.use_grid_power_enable", "enter power_mng.soc_strategy", "enter power_mng.battery_power_extern",
            "hand_back power_mng.soc_strategy", "hand_back power_mng.battery_power_extern", "hand_back power_mng.use_grid_power_enable",
        ])
        #expect(steps.allSatisfy { $0["verified"] as? Bool == true })
        #expect(events.contains { $0["event"] as? String == "progress" })
        #expect(events.contains { ($0["reason"] as? String)?.contains("reached") == true })
        try expectHandedBack(simulator.endpoint)
    }

    @Test("A signal in any phase of charge still hands back", arguments: [SIGINT, SIGTERM, SIGHUP], ["enter", "progress"])
    func chargeInterrupted(signal: Int32, phase: String) throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let charge = try RCTBinary.start(["charge", "--power", "3000", "--max-duration", "1h", "--poll", "0.2", "--json",
                                          "--host", simulator.endpoint])
        // Wait until the phase shows in the output, then send the signal.
        var seen = false
        for _ in 0..<100 where !seen {
            guard let line = charge.firstLine(timeout: 5) else { break }
            seen = line.contains(phase == "enter" ? "\"phase\":\"enter\"" : "\"event\":\"progress\"")
        }
        #expect(seen)
        charge.signal(signal)
        let status = charge.wait(timeout: 30)
        #expect(status == 130)
        #expect(charge.stderr.contains("interrupted by"))
        #expect(charge.stdout.contains("\"phase\":\"hand_back\""))
        try expectHandedBack(simulator.endpoint)
    }

    @Test("hold ends on Ctrl-C with exit 0 after handing back")
    func holdStopped() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let hold = try RCTBinary.start(["hold", "--poll", "0.2", "--host", simulator.endpoint])
        #expect(hold.firstLine()?.hasPrefix("enter: power_mng.soc_strategy 4 (Internal) -> 2 (External)") == true)
        usleep(400_000)
        #expect(try forcedState(simulator.endpoint)["power_mng.soc_strategy"] as? Int == 2)
        hold.signal(SIGINT)
        #expect(hold.wait(timeout: 30) == 0)
        #expect(hold.stdout.contains("hand_back: power_mng.soc_strategy 2 (External) -> 4 (Internal), verified"))
        // Values as `rct get` shows them; no time left for a hold without an end; the reason first.
        #expect(hold.stdout.contains("progress: state of charge 55.0 %, battery 0 W, until stopped"), "\(hold.stdout)")
        let lines = hold.stdout.split(separator: "\n")
        let ending = lines.firstIndex { $0 == "ending: stopped by SIGINT; handing control back" }
        let firstHandBack = lines.firstIndex { $0.hasPrefix("hand_back:") }
        #expect(ending != nil && firstHandBack != nil && ending! < firstHandBack!, "\(hold.stdout)")
        try expectHandedBack(simulator.endpoint)
    }

    @Test("Values in scenario output look as rct get shows them; input is quoted as given")
    func valuesAsGetShowsThem() throws {
        let simulator = try SimulatorProcess(["--speed", "600"])
        defer { simulator.stop() }
        let charge = try rct("charge", "--power", "6000", "--until-soc", "0.58", "--max-duration", "60s", "--poll", "0.2",
                             "--host", simulator.endpoint)
        #expect(charge.status == 0, "\(charge.stderr)")
        let progress = try #require(charge.stdout.split(separator: "\n").first { $0.hasPrefix("progress: ") })
        #expect(progress.contains(try Regex(#"^progress: state of charge \d+\.\d %, battery -6000 W, \d+s left$"#)), "\(progress)")
        #expect(charge.stdout.contains("ending: the state of charge reached 5"), "\(charge.stdout)")
        #expect(charge.stdout.contains("% ; handing") == false && charge.stdout.contains(" %; handing control back"))
        let dryRun = try rct("reserve", "--min", "0.30", "--dry-run", "--host", simulator.endpoint)
        #expect(dryRun.stdout.contains("power_mng.soc_min = 30 %") && dryRun.stdout.contains("power_mng.soc_charge = 28 %"), "\(dryRun.stdout)")
        let tooMuch = try rct("charge", "--power", "7000", "--host", simulator.endpoint)
        #expect(tooMuch.status == 64 && tooMuch.stderr.contains("got 7000") && !tooMuch.stderr.contains("7000.0"), "\(tooMuch.stderr)")
    }

    @Test("hold stops and reports when someone else changes the strategy")
    func holdChangedElsewhere() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let hold = try RCTBinary.start(["hold", "--poll", "0.1", "--reassert", "0.2", "--host", simulator.endpoint])
        _ = hold.firstLine()
        usleep(300_000)
        #expect(try rct("set", "power_mng.soc_strategy", "Constant", "--host", simulator.endpoint).status == 0)
        let status = hold.wait(timeout: 30)
        #expect(status == 65)
        #expect(hold.stderr.contains("power_mng.soc_strategy was changed by someone else (expected 2 (External), found 1 (Constant))"))
        let state = try forcedState(simulator.endpoint)
        #expect(state["power_mng.soc_strategy"] as? Int == 1, "the other party's strategy is left alone")
        #expect((state["power_mng.battery_power_extern"] as? NSNumber)?.doubleValue == 0)
    }

    @Test("A lost link makes hand-back retry with backoff, then fail loudly with the state left behind")
    func handBackFails() throws {
        let fake = try FakeInverter.onLoopback()
        let hold = try RCTBinary.start(["hold", "--poll", "0.1", "--hand-back-attempts", "2", "--timeout", "0.3",
                                        "--retries", "0", "--host", fake.address])
        _ = hold.firstLine()
        usleep(300_000)
        fake.stop()
        let status = hold.wait(timeout: 60)
        #expect(status == 69)
        #expect(hold.stdout.contains("hand-back attempt 1 failed"))
        #expect(hold.stderr.contains("HAND-BACK FAILED"))
        #expect(hold.stderr.contains("THE INVERTER MAY BE LEFT IN THIS STATE"))
        #expect(hold.stderr.contains("power_mng.soc_strategy"))
    }

    @Test("reserve sets soc_min and soc_charge together and verified; --default restores them")
    func reserve() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let raised = try rct("reserve", "--min", "0.30", "--host", simulator.endpoint, "--json")
        #expect(raised.status == 0, "\(raised.stderr)")
        let names = try raised.lines.map { try #require(try json($0) as? [String: Any])["name"] as? String }
        #expect(names == ["power_mng.soc_min", "power_mng.soc_charge"], "raise soc_min first, so soc_charge stays below it")
        let values = try jsonObjects(try rct("get", "power_mng.soc_min", "power_mng.soc_charge", "--json", "--host", simulator.endpoint).stdout)
        #expect(values.map { ($0["value"] as? NSNumber)?.floatValue } == [0.30, 0.28])
        let back = try rct("reserve", "--default", "--host", simulator.endpoint)
        #expect(back.status == 0)
        #expect(back.lines.first?.hasPrefix("apply: power_mng.soc_charge") == true, "lower soc_charge first")
        let restored = try jsonObjects(try rct("get", "power_mng.soc_min", "power_mng.soc_charge", "--json", "--host", simulator.endpoint).stdout)
        #expect(restored.map { ($0["value"] as? NSNumber)?.floatValue } == [0.07, 0.05])
    }

    @Test("Scenario inputs are validated before anything is sent", arguments: [
        ["reserve", "--min", "0.30", "--charge", "0.30"], ["reserve", "--min", "1.2"], ["reserve", "--default", "--min", "0.3"],
        ["reserve"], ["charge", "--power", "7000"], ["charge", "--power", "0"], ["charge", "--power", "3000", "--until-soc", "2"],
        ["charge", "--power", "3000", "--max-duration", "soon"], ["hold", "--duration", "-5m"],
    ])
    func refused(arguments: [String]) throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let result = try rct(arguments: arguments + ["--host", fake.address])
        #expect(result.status == 64)
        #expect(fake.receivedOnceSettled().isEmpty)
    }

    @Test("--dry-run prints the plan and opens no link")
    func dryRun() throws {
        let charge = try rct("charge", "--power", "6000", "--dry-run", "--device", "/dev/ttyDOESNOTEXIST")
        #expect(charge.status == 0)
        #expect(charge.lines.contains("plan enter: power_mng.battery_power_extern = -6000"))
        #expect(charge.lines.contains("plan hand_back: power_mng.battery_power_extern = 0"))
        let hold = try rct("hold", "--dry-run", "--json")
        #expect(try hold.lines.map { try #require(try json($0) as? [String: Any])["event"] as? String } == ["plan", "plan", "plan", "plan"])
    }
}
