import Foundation
import RCTTestSupport
import Testing

/// The page of `rct serve --http`, in a real browser: Debian's chromium, driven by
/// Playwright (Tests/Oracle/browser_check.py), against a real daemon and the simulator.
@Suite("rct serve --http: the page in a browser", .serialized)
struct WebPageTests {
    /// Runs the browser check against `url`; `change` runs while the page is open.
    static func check(_ url: String, _ extra: [String] = [], change: () throws -> Void = {}) throws -> [String: Any] {
        let environment = ProcessInfo.processInfo.environment
        let python = environment["RCT_PYTHON"] ?? RCTBinary.packageRoot + "/.venv/bin/python"
        let browser = try ChildProcess(python, [RCTBinary.packageRoot + "/Tests/Oracle/browser_check.py", url] + extra,
                                       environment: environment)
        try change()
        let status = browser.wait(timeout: 90)
        #expect(status == 0, "\(browser.stderr.suffix(2000))")
        return try #require(try json(browser.stdout) as? [String: Any], "\(browser.stdout) \(browser.stderr.suffix(2000))")
    }

    /// The status line and headers of a plain request to `endpoint`.
    static func head(_ endpoint: String, _ request: String) throws -> String {
        let socket = try RawSocket(endpoint)
        socket.send(Array(request.utf8))
        return String(decoding: socket.receive(for: 1), as: UTF8.self)
    }

    @Test("The page shows what the inverter holds, follows a change, and in read-only mode refuses every change")
    func readOnlyPage() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint], ["--http", "127.0.0.1:0", "--fast-interval", "1"])
        let http = try #require(serve.process.firstLine()?.split(separator: " ").last.map(String.init))
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("rct-page-\(getpid()).pcap").path
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let report = try Self.check("http://\(http)/", ["--follow-key", "battery-power",
                                                        "--follow-text", "charging 3000 W", "--download", capture]) {
            // The inverter changes meanwhile: strategy External, 3 kW into the battery.
            usleep(1_500_000)
            let strategy = try rct("--host", simulator.endpoint, "set", "power_mng.soc_strategy", "2")
            let power = try rct("--host", simulator.endpoint, "set", "power_mng.battery_power_extern", "-3000")
            #expect(strategy.status == 0 && power.status == 0)
        }
        let shown = try #require(report["shown"] as? [String: String])
        // The same values rct get reads directly.
        #expect(shown["battery-soc"] == "55.0 %")
        #expect(try rct("--host", simulator.endpoint, "get", "battery.soc").stdout == "battery.soc 55.0 %\n")
        #expect(shown["serial"] == "SIM0000000000001")
        #expect(shown["pv-power"] == "1950 W" && shown["house-power"] == "640 W" && shown["grid-power"] == "to the grid 1210 W")
        #expect(report["followed_after_s"] != nil, "the page followed the change")
        // Read-only: every control disabled, with the reason and the option that enables writes.
        // Nine settings and the time limits of hold and charge; every button disabled as well.
        #expect(report["controls"] as? Int == 11)
        #expect(report["controls_disabled"] as? Bool == true)
        #expect(report["buttons"] as? Int == 9 + 2 + 3 + 1)
        #expect(report["buttons_disabled"] as? Bool == true)
        // Today's energy, the inverter's day counters: 5.24 + 3.11 kWh from the solar strings, as the simulator holds them.
        #expect(report["today"] as? [String: String] == ["today-pv": "8.35 kWh", "today-feed": "4.87 kWh", "today-load": "1.26 kWh",
                                                         "today-house": "5.93 kWh"])
        #expect((report["settings_note"] as? String)?.contains("--allow-writes") == true)
        #expect((report["setting_labels"] as? [String])?.contains("New value for Minimum state of charge") == true)
        // No console message, no error, no request beyond the daemon; the chart is drawn.
        #expect((report["console_before_posts"] as? [String]) == [], "\(report["console_before_posts"] ?? "")")
        #expect((report["errors"] as? [String]) == [])
        #expect((report["foreign_requests"] as? [String]) == [])
        #expect(report["chart_drawn"] as? Bool == true)
        // A change from the page is refused, with the reason; a forged one from another site too.
        let same = try #require(report["post_same_origin"] as? [String: Any])
        #expect(same["status"] as? Int == 403 && (same["text"] as? String)?.contains("read-only") == true)
        let forged = try #require(report["post_forged"] as? [String: Any])
        #expect(forged["status"] as? Int == 403 && (forged["text"] as? String)?.contains("did not come from this page") == true)
        #expect((report["csp"] as? String)?.hasPrefix("default-src 'none'; script-src 'self'; style-src 'self'") == true)
        #expect(report["cors"] is NSNull)
        // The page's download of the last minutes of the link is a capture rct decode reads.
        #expect((report["download_name"] as? String)?.hasPrefix("rct-upstream-") == true)
        let decoded = try rct("decode", capture)
        #expect(decoded.status == 0, "\(decoded.stderr)")
        #expect(decoded.stdout.contains("RESPONSE      0x959930BF battery.soc = 55.0 %"), "\(decoded.stdout.prefix(2000))")
        #expect(serve.stop() == 0)
    }

    @Test("With --allow-writes the page changes a setting, refuses an invalid one, holds and stops, and a charge ends by itself: each checked on the inverter")
    func writes() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint], ["--http", "127.0.0.1:0", "--fast-interval", "1", "--allow-writes"])
        let http = try #require(serve.process.firstLine()?.split(separator: " ").last.map(String.init))
        // Documentation/Web.md shows this screenshot: the page after the changes below.
        let screenshot = RCTBinary.packageRoot + "/.build/web-page.png"
        let report = try Self.check("http://\(http)/", ["--writes", "--rct", RCTBinary.path, "--inverter", simulator.endpoint,
                                                        "--screenshot", screenshot])
        #expect(report["controls_disabled"] as? Bool == false)
        let steps = try #require(report["writes"] as? [String: Any], "\(report)")
        // The setting is on the inverter, read directly; the page said so.
        #expect(steps["set_direct"] as? String == "power_mng.soc_min 30.0 %", "\(steps)")
        #expect((steps["set_shown"] as? String)?.contains("set soc_min: written, power_mng.soc_min = 30") == true, "\(steps)")
        // Out of range: refused with the rule's reason, and nothing written.
        #expect((steps["invalid_shown"] as? String)?.contains("refused") == true)
        #expect((steps["invalid_shown"] as? String)?.contains("the nearest it takes is 100 %") == true, "\(steps)")
        #expect(steps["invalid_direct"] as? String == "power_mng.soc_min 30.0 %")
        // Hold: strategy External with 0 W while it runs; handed back to Internal when stopped.
        #expect(steps["hold_direct"] as? String == "power_mng.soc_strategy 2 (External)\npower_mng.battery_power_extern 0 W", "\(steps)")
        #expect(steps["hold_controls_disabled"] as? Bool == true)
        #expect(steps["hold_stopped_direct"] as? String == "power_mng.soc_strategy 4 (Internal)\npower_mng.battery_power_extern 0 W", "\(steps)")
        // Charge: 2 kW into the battery, ended by its 6 s limit without a click, handed back.
        #expect(steps["charge_direct"] as? String == "power_mng.soc_strategy 2 (External)\npower_mng.battery_power_extern -2000 W", "\(steps)")
        #expect(steps["charge_ended_direct"] as? String == "power_mng.soc_strategy 4 (Internal)\npower_mng.battery_power_extern 0 W", "\(steps)")
        let ended = try #require(steps["charge_ended_after_s"] as? Double)
        #expect(ended >= 6 && ended < 25, "\(ended) s")
        // The live trace shows frames, and the filter keeps only the object asked for.
        #expect((steps["trace_lines"] as? Int ?? 0) >= 2, "\(steps)")
        #expect(steps["trace_decoded_lines_filtered"] as? Bool == true, "\(steps["trace_sample"] ?? "")")
        #expect((steps["trace_sample"] as? [String])?.contains { $0.contains("0x959930BF battery.soc") } == true, "\(steps)")
        // Health: answer-time percentiles and the daemon's own clients with what they ask.
        let health = try #require(report["health"] as? [String: String])
        #expect(health["Answer time, median"]?.hasSuffix(" ms") == true, "\(health)")
        #expect(health["Answer time, 99th percentile"]?.hasSuffix(" ms") == true)
        #expect((report["clients"] as? [String])?.contains { $0.hasPrefix("poller (rct serve itself)") } == true, "\(report["clients"] ?? "")")
        #expect((report["console_before_posts"] as? [String]) == [], "\(report["console_before_posts"] ?? "")")
        #expect((report["errors"] as? [String]) == [])
        #expect((report["foreign_requests"] as? [String]) == [])
        #expect(FileManager.default.fileExists(atPath: screenshot))
        #expect(serve.stop() == 0)
    }

    @Test("Beyond loopback with writes allowed a token is required; with one, every request carries it")
    func token() throws {
        let refused = try rct("--simulator", "serve", "--listen", "127.0.0.1:0", "--http", "0.0.0.0:0", "--allow-writes", timeout: 20)
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--http-token-file"), "\(refused.stderr)")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rct-token-\(getpid())")
        try "s3cret-token\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        chmod(file.path, 0o644)
        let readable = try rct("--simulator", "serve", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--http-token-file", file.path,
                               timeout: 20)
        #expect(readable.status == 64 && readable.stderr.contains("chmod 600"), "\(readable.stderr)")
        chmod(file.path, 0o600)

        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint], ["--http", "127.0.0.1:0", "--http-token-file", file.path])
        let http = try #require(serve.process.firstLine()?.split(separator: " ").last.map(String.init))
        #expect(try Self.head(http, "GET /api/values HTTP/1.1\r\nHost: \(http)\r\n\r\n").hasPrefix("HTTP/1.1 401"))
        #expect(try Self.head(http, "GET /api/values HTTP/1.1\r\nHost: \(http)\r\nAuthorization: Bearer s3cret-token\r\n\r\n").hasPrefix("HTTP/1.1 200"))
        let opened = try Self.head(http, "GET /?token=s3cret-token HTTP/1.1\r\nHost: \(http)\r\n\r\n")
        #expect(opened.hasPrefix("HTTP/1.1 303") && opened.contains("rct_token=s3cret-token; Path=/; HttpOnly; SameSite=Strict"), "\(opened)")
        #expect(try Self.head(http, "GET / HTTP/1.1\r\nHost: \(http)\r\nCookie: rct_token=s3cret-token\r\n\r\n").hasPrefix("HTTP/1.1 200"))
        #expect(try Self.head(http, "GET /metrics HTTP/1.1\r\nHost: \(http)\r\nCookie: rct_token=wrong\r\n\r\n").hasPrefix("HTTP/1.1 401"))
        #expect(serve.stop() == 0)
    }

    @Test("The page's own files weigh under 150 kB compressed")
    func weight() throws {
        let directory = RCTBinary.packageRoot + "/Sources/RCTServe/Web/"
        var total = 0
        for file in ["index.html", "app.js", "app.css", "vendor/dygraph.min.js", "vendor/dygraph.min.css"] {
            let gzip = try ChildProcess("/bin/sh", ["-c", "gzip -9c '\(directory + file)' | wc -c"], environment: [:])
            _ = gzip.wait(timeout: 10)
            total += Int(gzip.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1_000_000
        }
        #expect(total < 150_000, "\(total) bytes")
    }
}
