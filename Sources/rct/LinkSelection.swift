#if canImport(Glibc)
import Glibc
#endif
import RCTSimulator
import RCTTransport

/// Which link to use, from the options, the environment, the config file or discovery.
struct LinkPlan: Sendable {
    /// A serial port to try first.
    var device: String?
    /// A TCP endpoint, alone or as the fallback of the serial port.
    var endpoint: Endpoint?
    /// The built-in simulator.
    var simulator = false
    /// Serial settings.
    var settings: SerialSettings
    /// Where the plan came from, for verbose output.
    var origin: String
    /// Whether a baud rate was given (option or config file), rather than the default.
    var baudGiven = false

    /// The protocol the serial link speaks: --protocol, else the RCT protocol for --host and
    /// --simulator, else the config file's `protocol`, else the RCT protocol.
    static func linkProtocol(_ options: ConnectionOptions) throws -> LinkProtocol {
        if let chosen = options.linkProtocol { return chosen }
        if options.host != nil || options.simulator { return .rct }
        return try ConfigFile.current()?.linkProtocol ?? .rct
    }

    /// Picks the link as the README documents: options, then RCT_DEVICE/RCT_HOST, then
    /// the config file, then exactly one discovered USB serial adapter.
    static func choose(_ options: ConnectionOptions) throws -> LinkPlan {
        var plan = try chooseLink(options)
        plan.baudGiven = plan.baudGiven || options.baud != nil
        return plan
    }

    private static func chooseLink(_ options: ConnectionOptions) throws -> LinkPlan {
        var settings = options.serialSettings
        if options.simulator {
            return LinkPlan(simulator: true, settings: settings, origin: "--simulator")
        }
        if options.device != nil || options.host != nil {
            return LinkPlan(device: options.device, endpoint: try options.host.map { try endpoint($0, options.port) },
                            settings: settings, origin: "command line")
        }
        var tried: [String] = []
        let device = environmentValue("RCT_DEVICE"), host = environmentValue("RCT_HOST")
        if device != nil || host != nil {
            return LinkPlan(device: device, endpoint: try host.map { try endpoint($0, options.port) },
                            settings: settings, origin: "RCT_DEVICE/RCT_HOST")
        }
        tried.append("--device/--host (not given)")
        tried.append("RCT_DEVICE/RCT_HOST (not set)")
        let configPath = ConfigFile.path
        if let config = try ConfigFile.current() {
            if config.device != nil || config.host != nil {
                if options.baud == nil, let baud = config.baud { settings.baudRate = baud }
                if options.parity == nil, let parity = config.parity { settings.parity = parity }
                return LinkPlan(device: config.device,
                                endpoint: try config.host.map { try endpoint($0, options.port ?? config.port) },
                                settings: settings, origin: configPath, baudGiven: config.baud != nil)
            }
            tried.append("\(configPath) (names no device or host)")
        } else {
            tried.append("\(configPath) (absent)")
        }
        let ports = (try? SerialPortDiscovery.discover()) ?? []
        let adapters = ports.filter(\.isUSB)
        if adapters.count == 1 {
            return LinkPlan(device: adapters[0].path, settings: settings, origin: "the only USB serial adapter found")
        }
        let found = ports.isEmpty ? "no serial ports found"
            : "ports found: " + ports.map(\.path).joined(separator: ", ")
        let adapterNote = adapters.isEmpty ? "no USB serial adapter" : "\(adapters.count) USB serial adapters, so none was picked"
        throw Failure("no link to an inverter: tried \(tried.joined(separator: ", ")), \(adapterNote); \(found). Use --device, --host or --simulator",
                      status: .unavailable)
    }

    private static func endpoint(_ text: String, _ port: UInt16?) throws -> Endpoint {
        try Endpoint(parsing: text, defaultPort: port ?? Endpoint.defaultPort)
    }

    /// Opens the first link of the plan; a serial port that cannot be opened falls back
    /// to TCP when the plan has an endpoint, with a notice on stderr.
    func open(timeout: Double, verbose: Bool) throws -> any Transport {
        if simulator { return SimulatorTransport() }
        if let device {
            do {
                let port = try SerialPort(path: device, settings: settings)
                if verbose { Console.error("rct: using \(port.label) (\(origin))") }
                return port
            } catch {
                guard let endpoint else { throw error }
                Console.error("rct: notice: \(error.description); trying \(endpoint) instead")
                return try TCPConnection(to: endpoint, timeout: timeout)
            }
        }
        guard let endpoint else { throw Failure("no link given", status: .badInput) }
        let connection = try TCPConnection(to: endpoint, timeout: timeout)
        if verbose { Console.error("rct: using \(connection.label) (\(origin))") }
        return connection
    }
}

/// `~/.config/rct/config`: `key = value` lines for device, host, port, baud, parity and protocol.
struct ConfigFile: Sendable {
    var device: String?
    var host: String?
    var port: UInt16?
    var baud: Int?
    var parity: SerialSettings.Parity?
    var linkProtocol: LinkProtocol?

    /// `$XDG_CONFIG_HOME/rct/config`, or `~/.config/rct/config`.
    static var path: String {
        if let xdg = environmentValue("XDG_CONFIG_HOME") { return xdg + "/rct/config" }
        return (environmentValue("HOME") ?? "") + "/.config/rct/config"
    }

    /// The settings of the file at ``path``, read once per process: a command that checks
    /// the protocol before it picks its link asks twice.
    static func current() throws -> ConfigFile? {
        try loaded.get()
    }

    private static let loaded = Result { try load(from: path) }

    /// The file's settings; nil when there is no file. A malformed line is bad input.
    private static func load(from path: String) throws -> ConfigFile? {
        let text: String
        switch TextFile.read(path) {
        case let .success(read): text = read
        case .failure(.unreadable): return nil
        case let .failure(problem): throw Failure(TextFile.message(problem, "config", path), status: .badInput)
        }
        var config = ConfigFile()
        for setting in TextFile.settings(in: text) {
            let bad = Failure("\(path) line \(setting.line): expected 'key = value' with key device, host, port, baud, parity or protocol", status: .badInput)
            guard setting.isWellFormed else { throw bad }
            switch setting.name {
            case "device": config.device = setting.value
            case "host": config.host = setting.value
            case "port":
                guard let port = UInt16(setting.value), port > 0 else { throw bad }
                config.port = port
            case "baud":
                guard let baud = Int(setting.value) else { throw bad }
                config.baud = baud
            case "parity":
                guard let parity = SerialSettings.Parity(rawValue: setting.value) else { throw bad }
                config.parity = parity
            case "protocol":
                guard let linkProtocol = LinkProtocol(rawValue: setting.value) else { throw bad }
                config.linkProtocol = linkProtocol
            default: throw bad
            }
        }
        return config
    }
}

/// The environment variable `name`, or nil when it is unset or empty.
private func environmentValue(_ name: String) -> String? {
    guard let value = getenv(name), value.pointee != 0 else { return nil }
    return String(cString: value)
}
