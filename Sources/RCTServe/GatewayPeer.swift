import NIOCore
import RCTProtocol

/// How the gateway reaches one of its clients: a TCP connection, or a part of the daemon
/// itself (the MQTT bridge) that asks through the same queue, cache and write policy.
struct GatewayPeer: Sendable {
    /// Hands over an answer; false when the client is not reading and it was dropped.
    let deliver: @Sendable (Frame) -> Bool
    /// Ends the client's connection.
    let close: @Sendable () -> Void
    /// A write this client asked for is finished (carried out, or given up).
    let writeDone: @Sendable () -> Void
    /// The upstream link went down; whatever the client waited for will not come.
    let linkLost: @Sendable () -> Void

    /// A client on a TCP connection: answers are written to it while it keeps reading; it is
    /// closed when the link goes down.
    static func connection(_ channel: any Channel) -> GatewayPeer {
        GatewayPeer(
            deliver: { frame in
                guard let bytes = try? frame.encoded() else { return true }
                // A client that does not read its answers gets no more queued for it.
                guard channel.isWritable else { return false }
                channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
                return true
            },
            close: { channel.close(promise: nil) },
            writeDone: {},
            linkLost: { channel.close(promise: nil) })
    }
}
