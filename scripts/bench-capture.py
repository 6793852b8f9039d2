"""Makes a large pcap capture with scapy and measures `rct decode` on it.

    .venv/bin/python scripts/bench-capture.py RAW_STREAM REPEAT OUT.pcap [RCT]

RAW_STREAM is a raw byte stream of frames (for example the decoder benchmark's capture);
it is sent REPEAT times as the inverter's answers on one TCP connection, in 1448-byte
segments with their sequence numbers running on (they wrap past 2^32 for large captures),
each preceded by a short request from the client. Prints the capture's size, then the
wall time, CPU time and peak memory of `rct decode --summary` on it.
"""
import os
import subprocess
import sys
import time

from scapy.all import IP, TCP, Ether, PcapWriter

CLIENT, INVERTER = ("192.168.1.20", 50123), ("192.168.1.50", 8899)
READ = bytes.fromhex("2b0104959930bf0d65")


def main():
    raw, repeat, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rct = sys.argv[4] if len(sys.argv) > 4 else ".build/release/rct"
    data = open(raw, "rb").read()
    writer = PcapWriter(out, linktype=1, sync=False)
    template_from = Ether() / IP(src=INVERTER[0], dst=CLIENT[0]) / TCP(sport=INVERTER[1], dport=CLIENT[1], flags="PA")
    template_to = Ether() / IP(src=CLIENT[0], dst=INVERTER[0]) / TCP(sport=CLIENT[1], dport=INVERTER[1], flags="PA")
    sequence_from, sequence_to, stamp = 1, 1, 1700000000.0
    for _ in range(repeat):
        for offset in range(0, len(data), 1448):
            chunk = data[offset:offset + 1448]
            request = template_to.copy()
            request[TCP].seq = sequence_to
            request = request / READ
            request.time = stamp
            writer.write(request)
            sequence_to = (sequence_to + len(READ)) % 2**32
            answer = template_from.copy()
            answer[TCP].seq = sequence_from
            answer = answer / chunk
            answer.time = stamp + 0.0005
            writer.write(answer)
            sequence_from = (sequence_from + len(chunk)) % 2**32
            stamp += 0.001
    writer.close()
    size = os.path.getsize(out)
    print(f"capture: {size} bytes ({size / 1e6:.1f} MB)")
    # /usr/bin/time measures rct alone (this process's own children include scapy's helpers).
    started = time.monotonic()
    result = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", rct, "decode", "--summary", out], capture_output=True, text=True)
    wall = time.monotonic() - started
    user, system, peak = result.stderr.strip().splitlines()[-1].split()
    print(result.stdout.strip())
    print(f"decode --summary: {wall:.2f} s wall, {float(user) + float(system):.2f} s CPU, {size / 1e6 / wall:.0f} MB/s, "
          f"peak memory {int(peak) / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
