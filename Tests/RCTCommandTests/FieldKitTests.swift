import Foundation
import RCTTestSupport
import Testing

/// A small checker for udev rule syntax: every line is a comma-separated list of
/// KEY op "value" with known keys and the operators udev allows for them.
enum UdevSyntax {
    static let matchKeys: Set<String> = ["ACTION", "SUBSYSTEM", "SUBSYSTEMS", "KERNEL", "KERNELS", "DRIVER", "DRIVERS", "ENV", "ATTR", "ATTRS"]
    static let assignKeys: Set<String> = ["GROUP", "MODE", "OWNER", "SYMLINK", "ENV", "GOTO", "LABEL", "TAG"]

    /// Problems found, as "line N: ..."; empty when the text is valid.
    static func check(_ text: String) -> [String] {
        var problems: [String] = []
        var labels: Set<String> = []
        var gotos: [String] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let pattern = #"^([A-Z]+)(\{[A-Za-z0-9_]+\})?\s*(==|!=|\+=|=|:=)\s*"([^"]*)"$"#
            let regex = try! NSRegularExpression(pattern: pattern)
            for part in line.components(separatedBy: ", ") {
                let range = NSRange(part.startIndex..., in: part)
                guard let match = regex.firstMatch(in: part, range: range) else {
                    problems.append("line \(index + 1): cannot read '\(part)'")
                    continue
                }
                let key = String(part[Range(match.range(at: 1), in: part)!])
                let op = String(part[Range(match.range(at: 3), in: part)!])
                let value = String(part[Range(match.range(at: 4), in: part)!])
                let isMatch = op == "==" || op == "!="
                if isMatch && !matchKeys.contains(key) { problems.append("line \(index + 1): \(key) cannot be matched") }
                if !isMatch && !assignKeys.contains(key) { problems.append("line \(index + 1): \(key) cannot be assigned") }
                if key == "LABEL" { labels.insert(value) }
                if key == "GOTO" { gotos.append(value) }
            }
        }
        for target in gotos where !labels.contains(target) { problems.append("GOTO \(target) has no LABEL") }
        return problems
    }
}

@Suite("Field kit: udev rules, completions, man page")
struct FieldKitTests {
    static let root = RCTBinary.packageRoot

    @Test("The shipped rules are valid udev syntax", arguments: ["udev/60-rct.rules", "udev/61-rct-links.rules.example"])
    func shippedRules(file: String) throws {
        var text = try String(contentsOfFile: Self.root + "/" + file, encoding: .utf8)
        // The example's rule is commented out; check it as it will be used.
        text = text.replacingOccurrences(of: "# SUBSYSTEM==", with: "SUBSYSTEM==")
        #expect(UdevSyntax.check(text) == [])
        #expect(text.contains("ID_MM_DEVICE_IGNORE"))
        #expect(text.contains("dialout"))
    }

    @Test("The checker itself rejects broken rules")
    func checkerRejects() {
        #expect(!UdevSyntax.check(#"SUBSYSTEM="tty""#).isEmpty, "assignment of SUBSYSTEM is refused")
        #expect(!UdevSyntax.check(#"SUBSYSTEM=="tty", MODE=="0660""#).isEmpty)
        #expect(!UdevSyntax.check(#"SUBSYSTEM=="tty" GROUP="dialout""#).isEmpty)
        #expect(!UdevSyntax.check(#"GOTO="nowhere""#).isEmpty)
    }

    @Test("Every chip the rules name is one discovery ranks as a known converter")
    func rulesCoverKnownChips() throws {
        let text = try String(contentsOfFile: Self.root + "/udev/60-rct.rules", encoding: .utf8)
        for vendor in ["0403", "1a86", "10c4", "067b"] { #expect(text.contains(#"ATTRS{idVendor}=="\#(vendor)""#)) }
    }

    @Test("The printed rule is valid and matches the recorded adapter", arguments: ["ftdi-ft232r", "ch340"])
    func printedRule(fixture: String) throws {
        let path = Self.root + "/Tests/Fixtures/udev/\(fixture).umockdev"
        let result = try RCTBinary.run(["devices", "--udev-rule"], prefix: ["/usr/bin/umockdev-run", "--device", path, "--"])
        #expect(result.status == 0)
        #expect(UdevSyntax.check(result.stdout) == [])
        let recording = try String(contentsOfFile: path, encoding: .utf8)
        func attribute(_ name: String) -> String? {
            recording.split(separator: "\n").first { $0.hasPrefix("A: \(name)=") }
                .map { String($0.dropFirst("A: \(name)=".count)).replacingOccurrences(of: "\\n", with: "") }
        }
        let vendor = try #require(attribute("idVendor")), product = try #require(attribute("idProduct")), serial = try #require(attribute("serial"))
        #expect(result.stdout.contains(#"ATTRS{idVendor}=="\#(vendor)", ATTRS{idProduct}=="\#(product)", ATTRS{serial}=="\#(serial)""#))
        #expect(result.stdout.contains(#"SYMLINK+="rct-\#(serial)""#))
    }

    @Test("Completion scripts for bash, zsh and fish; they offer object names, writable names and ports",
          arguments: ["bash", "zsh", "fish"])
    func completions(shell: String) throws {
        let script = try rct("--generate-completion-script", shell)
        #expect(script.status == 0)
        #expect(script.stdout.contains("---completion"))
        let objects = try rct("---completion", "get", "--", "positional@0", "2", "0")
        #expect(objects.lines.count == 895)
        let writable = try rct("---completion", "set", "--", "positional@0", "2", "0")
        #expect(writable.lines.first == "power_mng.soc_strategy" && writable.lines.count == 11)
        let ports = try RCTBinary.run(["---completion", "--", "--device", "1", "0"], prefix: [
            "/usr/bin/umockdev-run", "--device", Self.root + "/Tests/Fixtures/udev/ftdi-ft232r.umockdev", "--"])
        #expect(ports.lines == ["/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10KZ4B1-if00-port0", "/dev/ttyUSB0"])
    }

    @Test("The man page is generated from the command definitions and covers every command")
    func manPage() throws {
        let page = try String(contentsOfFile: Self.root + "/Documentation/rct.1", encoding: .utf8)
        #expect(page.hasPrefix(#".\" "Generated by swift-argument-parser""#))
        for command in ["get", "set", "list", "devices", "decode", "monitor", "charge", "hold", "reserve", "simulator"] {
            #expect(page.contains(".It Em \(command)"), "\(command)")
        }
    }
}
