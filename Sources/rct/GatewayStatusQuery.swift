import RCTProtocol
import RCTTransport

extension GatewayStatus {
    /// Asks the peer of `client` whether it is an `rct serve` gateway, and what it allows; nil
    /// when it does not say (an inverter does not answer the gateway's own object). One attempt
    /// with a short timeout: it is asked only to explain a write that did not take.
    static func ask(_ client: Client) -> GatewayStatus? {
        let request = Frame(command: .read, objectID: objectID)
        guard (try? client.send(request)) != nil else { return nil }
        let deadline = Deadline.after(seconds: min(1, client.options.timeout))
        while !deadline.hasPassed {
            guard let frames = try? client.receiveFrames(until: deadline) else { return nil }
            if let status = frames.lazy.compactMap(GatewayStatus.init).first { return status }
        }
        return nil
    }
}
