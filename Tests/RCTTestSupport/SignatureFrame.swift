import RCTProtocol

/// The wire bytes of a RESPONSE frame whose last byte is 0x50, the first byte of the
/// bootloader's signature, with no start byte (0x2B) after its first byte and no escape byte
/// (0x2D). The decoder of a whole stream takes that 0x50 as the frame's last byte; a decoder
/// started inside the frame passes over it as noise and may take it as a signature's
/// beginning. Tests of decoding from the middle of a stream put one at a seam.
public func frameEndingInSignatureStart() -> [UInt8]? {
    (0...UInt32.max).lazy.compactMap { value -> [UInt8]? in
        let payload = [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> $0) }
        guard let wire = try? Frame(command: .response, objectID: ObjectID(0x959930BF), payload: payload).encoded(),
              wire.last == 0x50, !wire.dropFirst().contains(0x2B), !wire.contains(0x2D) else { return nil }
        return wire
    }.first
}
