import Testing
@testable import RCTProtocol

@Suite("Object registry")
struct RegistryTests {
    let registry = Registry.standard

    @Test("Holds the whole vendor table with unique names and ids")
    func completeness() {
        #expect(registry.objects.count == 895)
        #expect(Set(registry.objects.map(\.name)).count == 895)
        #expect(Set(registry.objects.map(\.id)).count == 895)
        #expect(registry.objects.filter { $0.responseType == .timeseries }.count == 44)
    }

    @Test("Every enumeration label closes each parenthesis it opens")
    func labelsBalanced() {
        for object in Registry.standard.objects {
            for label in object.labels {
                #expect(label.label.filter { $0 == "(" }.count == label.label.filter { $0 == ")" }.count, "\(object.name): \(label.label)")
            }
        }
    }

    @Test("The gateway's own status object is not an id of the vendor's table")
    func gatewayStatusIsFree() {
        #expect(Registry.standard.object(id: GatewayStatus.objectID) == nil)
    }

    @Test("Every object is found by its id, and ids not in the table are not")
    func lookupByID() {
        for object in registry.objects {
            #expect(registry.object(id: object.id) === object, "\(object.name)")
        }
        let known = Set(registry.objects.map(\.id.rawValue))
        var rng = SplitMix64(seed: 895)
        var unknown = [0, UInt32.max, 1, 0x8000_0000]
        unknown += (0..<20_000).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) }
        // Neighbours of real ids land on or next to their slots.
        unknown += registry.objects.flatMap { [$0.id.rawValue &+ 1, $0.id.rawValue &- 1, $0.id.rawValue ^ 0x8000_0000] }
        for raw in unknown where !known.contains(raw) {
            #expect(registry.object(id: ObjectID(raw)) == nil, "0x\(String(raw, radix: 16))")
        }
    }

    @Test("A local registry hands out each object as an equal copy of its own, the same copy every time")
    func localCopies() {
        var local = LocalRegistry(registry)
        for object in registry.objects {
            let copy = local.object(id: object.id)
            #expect(copy == object, "\(object.name)")
            #expect(copy !== object, "\(object.name) is not shared")
            #expect(local.object(id: object.id) === copy, "\(object.name) is copied once")
            #expect(copy?.isFraction == object.isFraction && copy?.labels == object.labels && copy?.summary == object.summary)
        }
        let known = Set(registry.objects.map(\.id.rawValue))
        for raw in [0, UInt32.max, 0x1234_5678] where !known.contains(raw) {
            #expect(local.object(id: ObjectID(raw)) == nil)
        }
    }

    @Test("Objects are equal when all they say is equal")
    func objectEquality() throws {
        let object = try #require(registry.object(named: "battery.soc"))
        let copy = ObjectInfo(id: object.id, name: object.name, requestType: object.requestType, responseType: object.responseType,
                              unit: object.unit, labels: object.labels, summary: object.summary, isFraction: object.isFraction)
        #expect(copy == object)
        #expect(Set([copy, object]).count == 1)
        let other = ObjectInfo(id: object.id, name: object.name, requestType: object.requestType, responseType: object.responseType,
                               unit: object.unit, labels: object.labels, summary: object.summary, isFraction: false)
        #expect(other != object)
    }

    @Test("Lookup by name, by hex id and by decimal id finds the same object")
    func lookups() throws {
        let byName = try registry.resolve("power_mng.soc_strategy")
        #expect(byName.id == ObjectID(0xF168B748))
        #expect(try registry.resolve("0xF168B748") == byName)
        #expect(try registry.resolve("0xf168b748") == byName)
        #expect(try registry.resolve("4050171720") == byName)
        #expect(byName.label(for: 2) == "External")
        #expect(try registry.resolve("Battery.SOC").name == "battery.soc")
    }

    @Test("An unknown id resolves to a raw object; an unknown name suggests close names")
    func unknowns() throws {
        let raw = try registry.resolve("0x00000001")
        #expect(raw.responseType == .unknown)
        let error = #expect(throws: LookupError.self) { try registry.resolve("battery.sco") }
        #expect(error?.suggestions.first == "battery.soc")
        #expect(error?.description.contains("did you mean 'battery.soc'") == true)
        let none = #expect(throws: LookupError.self) { try registry.resolve("zzzzzzzzzzzzzzzz") }
        #expect(none?.suggestions == [])
    }

    @Test("Prefix and pattern searches")
    func searches() {
        #expect(registry.objects(withPrefix: "power_mng.soc_").count == 7)
        #expect(registry.objects(matching: "soc_strategy").map(\.name) == ["power_mng.soc_strategy"])
        #expect(registry.objects(matching: "logger.*_log_ts").count == 44)
    }

    @Test("The object table rejects duplicates and malformed lines")
    func loaderChecks() {
        #expect(throws: RegistryError.duplicateID(ObjectID(1), line: 2)) {
            try Registry(table: "0x1\ta\tfloat\tfloat\n0x1\tb\tfloat\tfloat")
        }
        #expect(throws: RegistryError.duplicateName("a", line: 2)) {
            try Registry(table: "0x1\ta\tfloat\tfloat\n0x2\ta\tfloat\tfloat")
        }
        #expect(throws: RegistryError.self) { try Registry(table: "0x1\ta\tdouble\tfloat") }
        #expect(throws: RegistryError.self) { try Registry(table: "zz\ta\tfloat\tfloat") }
        #expect(throws: RegistryError.self) { try Registry(table: "0x1\ta\tenum\tenum\t\tone=1") }
    }

    @Test("A duplicate is reported at its later line, wherever the table puts it", arguments: [
        ("0x2\tc\tfloat\tfloat\n0x1\ta\tfloat\tfloat\n0x2\tb\tfloat\tfloat", RegistryError.duplicateID(ObjectID(2), line: 3)),
        ("0x3\tb\tfloat\tfloat\n0x1\ta\tfloat\tfloat\n0x2\tb\tfloat\tfloat", .duplicateName("b", line: 3)),
        ("0x1\ta\tfloat\tfloat\n# a comment\n\n0x1\tb\tfloat\tfloat", .duplicateID(ObjectID(1), line: 4)),
    ])
    func duplicatesAtTheirLine(table: String, error: RegistryError) {
        #expect(throws: error) { try Registry(table: table) }
    }

    @Test("Names are found in a table given out of order; fractions and descriptions attach to their objects")
    func unsortedTable() throws {
        let registry = try Registry(table: "0x3\tc.x\tfloat\tfloat\n0x1\ta\tenum\tenum\t\t2=two|1=one\n0x2\tb\tfloat\tfloat\t%",
                                    descriptions: "b\tthe middle one", fractions: "b")
        #expect(registry.objects.map(\.name) == ["a", "b", "c.x"])
        for (name, id) in [("a", 1), ("b", 2), ("c.x", 3)] {
            #expect(registry.object(named: name)?.id == ObjectID(UInt32(id)))
        }
        for missing in ["", "0", "aa", "c", "c.y", "d"] {
            #expect(registry.object(named: missing) == nil, "\(missing)")
        }
        #expect(registry.object(named: "b")?.isFraction == true && registry.object(named: "a")?.isFraction == false)
        #expect(registry.object(named: "b")?.summary == "the middle one" && registry.object(named: "c.x")?.summary == nil)
        #expect(registry.object(named: "a")?.labels == [EnumLabel(value: 1, label: "one"), EnumLabel(value: 2, label: "two")])
        #expect(registry.object(id: ObjectID(3))?.name == "c.x")
        #expect(throws: RegistryError.duplicateName("b", line: 2)) {
            try Registry(table: "0x2\tb\tfloat\tfloat", fractions: "b\nb")
        }
        #expect(throws: RegistryError.duplicateName("b", line: 3)) {
            try Registry(table: "0x2\tb\tfloat\tfloat", descriptions: "b\tone\n\nb\ttwo")
        }
    }

    @Test("Every write rule matches its registry entry")
    func writeRulesAgreeWithRegistry() throws {
        for rule in WriteRules.all {
            let object = try #require(registry.object(named: rule.name))
            #expect(object.id == rule.id, "\(rule.name)")
            #expect(object.requestType == rule.type, "\(rule.name)")
        }
    }

    @Test("The generated Swift table is in sync with Registry/*.tsv")
    func generatedInSync() throws {
        let root = packageRoot()
        #expect(try readText(root + "/Registry/objects.tsv") == objectTableText + "\n")
        #expect(try readText(root + "/Registry/descriptions.tsv") == objectDescriptionsText + "\n")
        #expect(try readText(root + "/Registry/fractions.tsv") == objectFractionsText + "\n")
        #expect(try readText(root + "/Registry/modbus.tsv") == modbusTableText + "\n")
    }

    @Test("Every description names a known object")
    func descriptionsMatchObjects() throws {
        let text = try readText(packageRoot() + "/Registry/descriptions.tsv")
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let name = String(line.split(separator: "\t")[0])
            #expect(registry.object(named: name)?.summary != nil, "\(name)")
        }
    }
}

func packageRoot(file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}

func readText(_ path: String) throws -> String {
    struct Unreadable: Error { let path: String }
    guard let file = fopen(path, "r") else { throw Unreadable(path: path) }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes += buffer[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

#if canImport(Glibc)
import Glibc
#endif
