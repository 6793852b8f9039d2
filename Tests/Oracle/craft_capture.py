"""Writes crafted pcap files for rct's capture tests, with scapy (no hand-packed headers).

    craft_capture.py KIND OUT.pcap

KIND is one of:
  ordered       three request/response exchanges, in order
  reordered     the same, the segments of each direction shuffled
  retransmitted the same, with duplicated and overlapping retransmitted segments
  missing       the same, one segment of the answers lost
  escape-split  an answer with an escaped byte, split between the escape and the byte
  keepalive     the answers with AT+ keep-alives, EXTENSION frames and 0x00s between them
  other-port    traffic on port 80 only
Prints the frames every kind should decode to as JSON lines: direction, command, id.
"""
import json
import random
import sys

from rctclient.frame import make_frame
from rctclient.types import Command
from scapy.all import IP, TCP, Ether, wrpcap

CLIENT, INVERTER = ("192.168.1.20", 50123), ("192.168.1.50", 8899)
# battery.soc, power_mng.soc_strategy, and an object whose answer carries an escaped byte.
OBJECTS = [(0x959930BF, b"\x3f\x0c\xcc\xcd"), (0xF168B748, b"\x04"), (0x1AC87AA0, b"\x2b\x2d\x2b\x2d")]


def packet(sender, receiver, sequence, payload, time, flags="PA"):
    frame = Ether() / IP(src=sender[0], dst=receiver[0]) / TCP(sport=sender[1], dport=receiver[1], seq=sequence, flags=flags) / payload
    frame.time = time
    return frame


def main():
    kind, out = sys.argv[1], sys.argv[2]
    rng = random.Random(7)
    requests = [make_frame(Command.READ, oid) for oid, _ in OBJECTS]
    answers = [make_frame(Command.RESPONSE, oid, value) for oid, value in OBJECTS]
    expected = []
    for oid, _ in OBJECTS:
        expected.append({"direction": "to_inverter", "command": "READ", "id": "0x%08X" % oid})
    for oid, _ in OBJECTS:
        expected.append({"direction": "from_inverter", "command": "RESPONSE", "id": "0x%08X" % oid})
    to_stream, from_stream = b"".join(requests), b"".join(answers)

    def segments(stream, first, size):
        return [(first + offset, stream[offset:offset + size]) for offset in range(0, len(stream), size)]

    to_segments = segments(to_stream, 1000, 5)
    from_segments = segments(from_stream, 900000, 7)
    if kind == "reordered":
        rng.shuffle(to_segments)
        rng.shuffle(from_segments)
    elif kind == "retransmitted":
        to_segments += to_segments[:3]
        from_segments.insert(4, (900000 + 3, from_stream[3:20]))
        from_segments += from_segments[2:5]
    elif kind == "missing":
        lost = from_segments.pop(2)
        # The answer the lost bytes belonged to is not decoded; report what is.
        start = lost[0] - 900000
        expected = [e for e in expected if e["direction"] == "to_inverter"]
        offset = 0
        for (oid, _), answer in zip(OBJECTS, answers):
            if offset + len(answer) <= start or offset >= start + len(lost[1]):
                expected.append({"direction": "from_inverter", "command": "RESPONSE", "id": "0x%08X" % oid})
            offset += len(answer)
        print(json.dumps({"missing": len(lost[1])}))
    elif kind == "keepalive":
        noisy = b"AT+\r" + answers[0] + b"\x2b\x3c\xe1" + b"\x00" + answers[1] + b"AT+\r\n" + b"\x00" + answers[2]
        from_segments = segments(noisy, 900000, 6)
    elif kind == "escape-split":
        escape = from_stream.index(b"\x2d", len(answers[0]) + len(answers[1]) + 5)
        from_segments = [(900000, from_stream[:escape + 1]), (900000 + escape + 1, from_stream[escape + 1:])]
    packets = []
    time = 1700000000.0
    if kind == "other-port":
        packets = [packet(CLIENT, ("192.168.1.50", 80), 1, b"GET / HTTP/1.0\r\n\r\n", time)]
        expected = []
    else:
        # The handshake: each side's data starts one after its SYN.
        packets.append(packet(CLIENT, INVERTER, 999, b"", time, flags="S"))
        packets.append(packet(INVERTER, CLIENT, 899999, b"", time, flags="SA"))
        for sequence, payload in to_segments:
            time += 0.001
            packets.append(packet(CLIENT, INVERTER, sequence, payload, time))
        for sequence, payload in from_segments:
            time += 0.001
            packets.append(packet(INVERTER, CLIENT, sequence, payload, time))
    wrpcap(out, packets)
    for item in expected:
        print(json.dumps(item))


if __name__ == "__main__":
    main()
