import NIOCore
import RCTProtocol

/// One gateway client's connection: its own stream decoder, so whatever a client sends
/// (garbage, half a frame, a flood) is decoded, bounded and dropped for that client alone.
final class GatewayClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let gateway: Gateway
    private var id: GatewayClientID?
    private var decoder = FrameDecoder(maximumLength: GatewayClientHandler.maximumRequestLength)
    private var greeting: Scheduled<Void>?

    /// Seconds after connecting at which a client that has sent nothing gets the gateway's
    /// status frame. Some clients (evcc's) wait for the inverter to speak first, as a real
    /// Wi-Fi module does when it passes the portal's traffic on; a client that asks first
    /// gets only its own answers.
    static let greetingDelay = TimeAmount.seconds(1)

    /// The largest LEN a client request may declare: a timestamp request is 8 bytes, a
    /// write a few more; nothing a client needs comes near it, and it bounds each client's
    /// buffered bytes.
    static let maximumRequestLength = 512

    init(gateway: Gateway) {
        self.gateway = gateway
    }

    func channelActive(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress
        let name = address.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
        id = gateway.register(.connection(context.channel), name: name, host: address?.ipAddress ?? "unknown")
        if id == nil {
            context.close(promise: nil)
        } else if let bytes = try? GatewayStatus(allowsWrites: gateway.configuration.scheduling.allowsWrites).frame.encoded() {
            let channel = context.channel
            greeting = context.eventLoop.scheduleTask(in: Self.greetingDelay) {
                channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let id else { return }
        greeting?.cancel()
        greeting = nil
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { bytes in
            decoder.append(bytes.assumingMemoryBound(to: UInt8.self))
        }
        while let output = decoder.next() {
            if case let .frame(decoded) = output { gateway.received(decoded.frame, from: id) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        greeting?.cancel()
        greeting = nil
        if let id { gateway.unregister(id) }
        id = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
