// libFuzzer entry point for the stream decoder; built by Tests/Fuzz/run.sh together with
// the RCTProtocol sources into one module.

/// Feeds the input in chunks whose size the first byte picks, telling the decoder the line
/// went quiet after some chunks (as the second byte's bits say), then checks what came out:
/// offsets inside the stream and increasing, every frame re-encodes and decodes to itself
/// (with its wrong LEN, if it had one, and only long frames may have one), and every payload
/// decodes (or fails cleanly) as every data type.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let step = 1 + Int(bytes.first ?? 0) % 23
    let quietPattern = bytes.count > 1 ? bytes[1] : 0
    var decoder = FrameDecoder(maximumLength: 512)
    var outputs: [DecoderOutput] = []
    var index = 0
    var chunk = 0
    while index < bytes.count {
        decoder.append(bytes[index..<min(bytes.count, index + step)])
        while let output = decoder.next() { outputs.append(output) }
        if quietPattern & (1 << (chunk % 8)) != 0 {
            decoder.lineWentQuiet()
            while let output = decoder.next() { outputs.append(output) }
        }
        index += step
        chunk += 1
    }
    decoder.finish()
    while let output = decoder.next() { outputs.append(output) }
    var lastFrameEnd = 0
    for output in outputs {
        switch output {
        case let .frame(decoded):
            precondition(decoded.offset >= lastFrameEnd && decoded.offset + decoded.wireLength <= bytes.count, "frame outside the stream")
            lastFrameEnd = decoded.offset + decoded.wireLength
            let frame = decoded.frame
            precondition(decoded.declaredLength == nil || frame.command.isLong, "a short frame's LEN was overridden")
            if let wire = try? frame.encoded(lengthError: (decoded.declaredLength ?? frame.length) - frame.length) {
                var again = FrameDecoder()
                again.append(wire)
                again.finish()
                guard case let .frame(back)? = again.next() else { preconditionFailure("re-encoded frame not decoded") }
                precondition(back.frame == frame && back.declaredLength == decoded.declaredLength, "round trip changed the frame")
            }
            for type in DataType.allCases { _ = try? ValueCodec.decode(decoded.frame.payload, as: type) }
        case let .event(event):
            precondition(event.offset >= 0 && event.offset <= bytes.count, "event outside the stream")
        }
    }
    return 0
}
