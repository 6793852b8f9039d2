import CMosquitto
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Logging
import RCTTransport
import Synchronization

/// Where and how to reach the MQTT broker.
public struct MQTTSettings: Sendable, Equatable {
    /// The broker's host name or address.
    public var host: String
    /// The broker's port (1883, or 8883 for TLS, unless told otherwise).
    public var port: Int
    /// The user name, if the broker wants one.
    public var username: String?
    /// The password, read from a file only its owner can read.
    public var password: String?
    /// With TLS: the CA certificate file that signed the broker's certificate.
    public var caFile: String?
    /// Whether the connection uses TLS (`mqtts://`).
    public var usesTLS: Bool

    /// Settings for a broker.
    public init(host: String, port: Int, username: String? = nil, password: String? = nil, caFile: String? = nil, usesTLS: Bool = false) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.caFile = caFile
        self.usesTLS = usesTLS
    }

    /// Reads `mqtt://[USER@]HOST[:PORT]` or `mqtts://...`.
    public static func parse(_ url: String) -> Result<MQTTSettings, Refusal> {
        let usesTLS: Bool
        let rest: Substring
        if url.hasPrefix("mqtt://") {
            (usesTLS, rest) = (false, url.dropFirst(7))
        } else if url.hasPrefix("mqtts://") {
            (usesTLS, rest) = (true, url.dropFirst(8))
        } else {
            return .failure(Refusal("--mqtt takes mqtt://[USER@]HOST[:PORT] or mqtts://...; got '\(url)'"))
        }
        var hostPort = rest
        var username: String?
        if let at = rest.lastIndex(of: "@") {
            let user = rest[..<at]
            guard !user.isEmpty, !user.contains(":") else {
                return .failure(Refusal("--mqtt: give only the user name before @; the password goes in --mqtt-password-file"))
            }
            username = String(user)
            hostPort = rest[rest.index(after: at)...]
        }
        if hostPort.hasSuffix("/") { hostPort = hostPort.dropLast() }
        var host = hostPort
        var port = usesTLS ? 8883 : 1883
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasPrefix("[") || hostPort[..<colon].hasSuffix("]") {
            guard let number = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(number) else {
                return .failure(Refusal("--mqtt: the port must be 1 to 65535"))
            }
            port = number
            host = hostPort[..<colon]
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty, !host.contains("/") else { return .failure(Refusal("--mqtt: no broker host in '\(url)'")) }
        return .success(MQTTSettings(host: String(host), port: port, username: username, usesTLS: usesTLS))
    }
}

/// One MQTT connection through libmosquitto, whose handle lives and dies on the thread that
/// calls ``run()``: every libmosquitto call is made there. Other threads hand messages in
/// through ``publish(_:_:retain:)``, a queue under a mutex, and learn of incoming messages
/// through the `received` closure, called on that thread.
///
/// The connection is made again with backoff (1 s doubling to 30 s) whenever it is lost.
/// The last will marks the inverter `offline` (retained) if the daemon dies; on a clean stop
/// the same message is published before disconnecting.
public final class MQTTConnection: Sendable {
    /// One message to publish.
    struct Message: Sendable {
        let topic: String
        let payload: [UInt8]
        let retain: Bool
    }

    private struct Shared {
        var outbox: [Message] = []
        var stopping = false
        var connected = false
    }

    /// Messages kept while the broker is unreachable; beyond this, the oldest are dropped
    /// (states are published again on every poll and discovery again on connecting).
    static let outboxLimit = 4096

    private let settings: MQTTSettings
    private let clientID: String
    private let will: (topic: String, payload: String)
    private let subscriptions: [String]
    private let logger: Logger
    private let connectedHandler: @Sendable () -> Void
    private let receivedHandler: @Sendable (String, [UInt8]) -> Void
    private let shared = Mutex(Shared())

    /// A connection; nothing happens until ``run()``. `connected` is called after each
    /// (re)connection, once the subscriptions are made; `received` for each incoming message.
    public init(settings: MQTTSettings, clientID: String, will: (topic: String, payload: String), subscriptions: [String],
                logger: Logger, connected: @escaping @Sendable () -> Void, received: @escaping @Sendable (String, [UInt8]) -> Void) {
        self.settings = settings
        self.clientID = clientID
        self.will = will
        self.subscriptions = subscriptions
        self.logger = logger
        self.connectedHandler = connected
        self.receivedHandler = received
    }

    /// Queues a message (QoS 1); it goes out on the connection's thread within 20 ms.
    public func publish(_ topic: String, _ payload: [UInt8], retain: Bool) {
        shared.withLock { shared in
            if shared.outbox.count >= Self.outboxLimit { shared.outbox.removeFirst() }
            shared.outbox.append(Message(topic: topic, payload: payload, retain: retain))
        }
    }

    /// Queues a text message.
    public func publish(_ topic: String, _ text: String, retain: Bool) {
        publish(topic, Array(text.utf8), retain: retain)
    }

    /// Whether the broker connection is up now.
    public var isConnected: Bool { shared.withLock { $0.connected } }

    /// Asks ``run()`` to publish the will message, disconnect and return.
    public func stop() {
        shared.withLock { $0.stopping = true }
    }

    /// Connects and serves the connection on the calling thread until ``stop()``.
    public func run() {
        mosquitto_lib_init()
        let box = CallbackBox(connection: self)
        guard let handle = mosquitto_new(clientID, true, Unmanaged.passUnretained(box).toOpaque()) else {
            logger.error("MQTT: libmosquitto could not make a client")
            return
        }
        defer { mosquitto_destroy(handle) }
        mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311)
        mosquitto_will_set(handle, will.topic, Int32(will.payload.utf8.count), will.payload, 1, true)
        if let username = settings.username {
            mosquitto_username_pw_set(handle, username, settings.password)
        }
        if settings.usesTLS {
            // Without a CA file, the system's certificates.
            let status = mosquitto_tls_set(handle, settings.caFile, settings.caFile == nil ? "/etc/ssl/certs" : nil, nil, nil, nil)
            if status != MOSQ_ERR_SUCCESS.rawValue {
                logger.error("MQTT: cannot use the CA file \(settings.caFile ?? "(system default)"): \(Self.text(status))")
                return
            }
        }
        mosquitto_connect_callback_set(handle) { _, context, status in
            guard let context else { return }
            Unmanaged<CallbackBox>.fromOpaque(context).takeUnretainedValue().didConnect(status)
        }
        mosquitto_disconnect_callback_set(handle) { _, context, status in
            guard let context else { return }
            Unmanaged<CallbackBox>.fromOpaque(context).takeUnretainedValue().didDisconnect(status)
        }
        mosquitto_publish_callback_set(handle) { _, context, _ in
            guard let context else { return }
            let box = Unmanaged<CallbackBox>.fromOpaque(context).takeUnretainedValue()
            // Messages resent after a reconnection are acknowledged again: never below zero.
            box.unacknowledged = max(0, box.unacknowledged - 1)
        }
        mosquitto_message_callback_set(handle) { _, context, message in
            guard let context, let message, let topic = message.pointee.topic else { return }
            let count = Int(max(0, message.pointee.payloadlen))
            let payload = message.pointee.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
            Unmanaged<CallbackBox>.fromOpaque(context).takeUnretainedValue().didReceive(String(cString: topic), payload)
        }
        box.handle = handle
        serve(handle, box)
        withExtendedLifetime(box) {}
    }

    private func serve(_ handle: OpaquePointer, _ box: CallbackBox) {
        var backoff = 1.0
        var attached = false
        var reported = false
        while !shared.withLock({ $0.stopping }) {
            if !attached {
                let status = box.everConnected ? mosquitto_reconnect(handle) : mosquitto_connect(handle, settings.host, Int32(settings.port), 30)
                if status == MOSQ_ERR_SUCCESS.rawValue {
                    attached = true
                    backoff = 1
                } else {
                    if !reported { logger.error("MQTT: cannot reach the broker \(settings.host):\(settings.port): \(Self.text(status)); retrying") }
                    reported = true
                    wait(backoff)
                    backoff = min(backoff * 2, 30)
                    continue
                }
            }
            if box.isUp {
                reported = false
                flush(handle, box)
            }
            let status = mosquitto_loop(handle, 20, 1)
            if status == MOSQ_ERR_ERRNO.rawValue && errno == EINTR { continue }
            if status != MOSQ_ERR_SUCCESS.rawValue {
                if box.isUp || !reported { logger.warning("MQTT: connection to the broker lost: \(Self.text(status)); reconnecting") }
                reported = true
                box.isUp = false
                shared.withLock { $0.connected = false }
                attached = false
                wait(backoff)
                backoff = min(backoff * 2, 30)
            }
        }
        guard attached, box.isUp else { return }
        // A clean stop sends no will: say offline ourselves, then leave.
        flush(handle, box)
        if mosquitto_publish(handle, nil, will.topic, Int32(will.payload.utf8.count), will.payload, 1, true) == MOSQ_ERR_SUCCESS.rawValue {
            box.unacknowledged += 1
        }
        // Wait until the broker has acknowledged every message (libmosquitto holds back what
        // exceeds its in-flight window until then), for at most 5 s.
        let end = DispatchTime.now() + .seconds(5)
        while box.isUp && box.unacknowledged > 0 && DispatchTime.now() < end {
            if mosquitto_loop(handle, 20, 1) != MOSQ_ERR_SUCCESS.rawValue { break }
        }
        mosquitto_disconnect(handle)
        _ = mosquitto_loop(handle, 20, 1)
    }

    private func flush(_ handle: OpaquePointer, _ box: CallbackBox) {
        let messages = shared.withLock { shared -> [Message] in
            defer { shared.outbox.removeAll() }
            return shared.outbox
        }
        for message in messages {
            let status = message.payload.withUnsafeBytes { bytes in
                mosquitto_publish(handle, nil, message.topic, Int32(bytes.count), bytes.baseAddress, 1, message.retain)
            }
            if status == MOSQ_ERR_SUCCESS.rawValue {
                box.unacknowledged += 1
            } else {
                logger.warning("MQTT: cannot publish to \(message.topic): \(Self.text(status))")
            }
        }
    }

    private func wait(_ seconds: Double) {
        let end = DispatchTime.now() + .milliseconds(Int(seconds * 1000))
        while DispatchTime.now() < end && !shared.withLock({ $0.stopping }) {
            usleepSeconds(0.05)
        }
    }

    private static func text(_ status: Int32) -> String {
        let text = String(cString: mosquitto_strerror(status))
        guard status == MOSQ_ERR_TLS.rawValue else { return text }
        return text + " (does --mqtt-ca name the CA that signed the broker's certificate, for this host name?)"
    }

    /// What libmosquitto's callbacks reach; lives on the connection's thread only.
    private final class CallbackBox {
        let connection: MQTTConnection
        var handle: OpaquePointer?
        var isUp = false
        var everConnected = false
        /// QoS 1 messages handed to libmosquitto and not yet acknowledged by the broker.
        var unacknowledged = 0

        init(connection: MQTTConnection) { self.connection = connection }

        func didConnect(_ status: Int32) {
            // A new session: what was in flight on the old one is not coming back.
            unacknowledged = 0
            guard status == 0, let handle else {
                connection.logger.error("MQTT: the broker refused the connection: \(String(cString: mosquitto_connack_string(status)))")
                return
            }
            isUp = true
            everConnected = true
            for topic in connection.subscriptions { mosquitto_subscribe(handle, nil, topic, 1) }
            connection.shared.withLock { $0.connected = true }
            connection.logger.info("MQTT: connected to \(connection.settings.host):\(connection.settings.port)")
            connection.connectedHandler()
        }

        func didDisconnect(_ status: Int32) {
            isUp = false
            connection.shared.withLock { $0.connected = false }
        }

        func didReceive(_ topic: String, _ payload: [UInt8]) {
            connection.receivedHandler(topic, payload)
        }
    }
}
