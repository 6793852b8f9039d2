import ArgumentParser
import RCTSimulator
import RCTTransport

struct SimulatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Run a simulated inverter on TCP and/or a pseudo-terminal.",
        discussion: """
        Serves 127.0.0.1:8899 unless --listen says otherwise; with --pty alone it serves only the \
        pseudo-terminal. Answers READ for every object, applies valid writes to the writable \
        parameters, does not acknowledge writes (like current firmware) unless --ack-writes. Under \
        strategy External, battery_power_extern moves the state of charge. --wrong-len and \
        --leading-zero reproduce firmware that sends long answers with a wrong LEN and a 0x00 \
        before every frame. Stop with Ctrl-C.
        """)

    @Option(help: ArgumentHelp("Address to accept TCP clients on (default 127.0.0.1:8899; port 0 picks a free one).", valueName: "host:port"))
    var listen: String?

    @Flag(help: "Serve on a pseudo-terminal and print its path.")
    var pty = false

    @Option(help: ArgumentHelp("With --pty: create this symlink to the pseudo-terminal.", valueName: "path"))
    var link: String?

    @Flag(name: .customLong("ack-writes"), help: "Answer writes with the new value, like older firmware.")
    var ackWrites = false

    @Option(help: ArgumentHelp("Inject link faults drawn from this seed: garbage, split writes, echoes, unsolicited frames, answers cut short or dropped.", valueName: "seed"))
    var noise: UInt64?

    @Option(name: .customLong("noise-rate"), help: ArgumentHelp("How often each fault happens, 0 to 1 (default 0.2).", valueName: "rate"))
    var noiseRateOption: Double?
    var noiseRate: Double { noiseRateOption ?? 0.2 }

    @Option(name: .customLong("speed"), help: ArgumentHelp("Run the battery this many times faster than real time (default 1).", valueName: "factor"))
    var speedOption: Double?
    var speed: Double { speedOption ?? 1 }

    @Option(name: .customLong("wrong-len"), help: ArgumentHelp("Send long answers with a wrong LEN, as one firmware does: 'short' declares 16 bytes too few, 'long' 480 too many.", valueName: "short|long"))
    var wrongLength: WrongLength?

    @Flag(name: .customLong("leading-zero"), help: "Send a 0x00 before every frame, as some devices do.")
    var leadingZero = false

    @Flag(help: "Keep the assumed timing of a real device: 200 ms latency, 10 ms service time, 115200 baud, 16 waiting requests (see Documentation/Simulator.md). The options below change single numbers.")
    var realistic = false

    @Option(help: ArgumentHelp("Seconds from an answer leaving the device to the client (default 0).", valueName: "seconds"))
    var latency: Double?

    @Option(name: .customLong("service-time"), help: ArgumentHelp("Seconds the device spends on each request, one at a time (default 0).", valueName: "seconds"))
    var serviceTime: Double?

    @Option(name: .customLong("line-rate"), help: ArgumentHelp("UART baud rate, 8N1, that requests and answers cross (default: no line delay).", valueName: "baud"))
    var lineRate: Double?

    @Option(help: ArgumentHelp("Requests that may wait while one is served; more are dropped (default 1024).", valueName: "n"))
    var queue: Int?

    @Option(help: ArgumentHelp("Every this many seconds, send every TCP client an answer to a request none of them sent, as a real Wi-Fi module passes on the vendor portal's traffic (default: never).", valueName: "seconds"))
    var portal: Double?

    /// The timing asked for: --realistic or instant, with single numbers replaced.
    var timing: TimingModel {
        var model = realistic ? TimingModel.realistic : TimingModel.instant
        if let latency { model.latency = latency }
        if let serviceTime { model.serviceTime = serviceTime }
        if let lineRate { model.lineRate = lineRate }
        if let queue { model.queueCapacity = queue }
        return model
    }

    // Not -v: that belongs to the connection options of the rct command itself.
    @Flag(name: .customLong("log-requests"), help: "Log each request on stderr.")
    var verbose = false

    func validate() throws {
        if link != nil && !pty { throw ValidationError("--link needs --pty") }
        if !(0...1).contains(noiseRate) { throw ValidationError("--noise-rate must be between 0 and 1") }
        if !(speed > 0 && speed <= 100_000) { throw ValidationError("--speed must be more than 0 and at most 100000") }
        if let latency, !(0...60).contains(latency) { throw ValidationError("--latency must be 0 to 60 seconds") }
        if let portal, !(0.1...3600).contains(portal) { throw ValidationError("--portal must be 0.1 to 3600 seconds") }
        if let serviceTime, !(0...60).contains(serviceTime) { throw ValidationError("--service-time must be 0 to 60 seconds") }
        if let lineRate, !(50...12_000_000).contains(lineRate) { throw ValidationError("--line-rate must be 50 to 12000000 baud") }
        if let queue, !(0...100_000).contains(queue) { throw ValidationError("--queue must be 0 to 100000") }
    }

    func run() throws {
        try reportingFailures {
            Interruption.install()
            let endpoint: Endpoint? = try listen.map { try Endpoint(parsing: $0, allowsAnyPort: true) } ?? (pty ? nil : Endpoint(host: "127.0.0.1"))
            let configuration = SimulatorConfiguration(
                listen: endpoint, pty: pty, link: link, acknowledgesWrites: ackWrites,
                faults: noise.map { FaultInjection(seed: $0, rate: noiseRate) }, timeScale: speed,
                quirks: WireQuirks(longLengthError: wrongLength?.error ?? 0, leadingZero: leadingZero), timing: timing,
                portalInterval: portal)
            let server = try SimulatorServer(configuration: configuration, log: verbose ? { Console.error("simulator: \($0)") } : nil)
            if let bound = server.boundEndpoint { Console.out("listening on \(bound)") }
            if let path = server.ptyPath { Console.out("pty \(path)" + (link.map { " (linked as \($0))" } ?? "")) }
            server.run { Interruption.signal == nil }
            server.close()
            return .success
        }
    }
}

/// The wrong LENs `rct simulator --wrong-len` reproduces.
enum WrongLength: String, ExpressibleByArgument, CaseIterable {
    case short, long

    /// How far LEN is off.
    var error: Int { self == .short ? WireQuirks.tooShort : WireQuirks.tooLong }
}
