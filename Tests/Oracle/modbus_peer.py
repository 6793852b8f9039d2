"""A Modbus RTU peer for rct's tests: pymodbus serving the public register map on a
pseudo-terminal, behind a relay that can inject faults.

    modbus_peer.py --map Registry/modbus.tsv --expect OUT.json --log LOG [--address N]
                   [--fault none|crc|wrong-slave|silent|slow|exception:CODE] [--delay S]

Prints the path rct opens (a second pseudo-terminal) on stdout, then serves until killed.
OUT.json holds, per register name, the raw words served, so the test can say what rct must
print. LOG counts the requests that reached the relay, one line each (hex), so a test can
check that a refused command sent nothing.
"""
import argparse
import asyncio
import json
import os
import select
import sys
import threading
import time
import tty

from pymodbus.datastore import ModbusDeviceContext, ModbusServerContext, ModbusSparseDataBlock
from pymodbus.framer import FramerRTU
from pymodbus.server import StartAsyncSerialServer


def known_values(rows):
    """Deterministic words for every register of the map."""
    words = {}
    served = {}
    for index, (register, count, layout, name) in enumerate(rows):
        if layout == "ascii":
            text = {"modbus.model": "RCT Power Storage DC 10.0", "modbus.version": "5232",
                    "modbus.serial_number": "387634ABCD"}.get(name, "X")
            data = text.encode().ljust(2 * count, b"\0")
            value = [data[i] << 8 | data[i + 1] for i in range(0, 2 * count, 2)]
        elif name == "battery.soc":
            value = [552]                       # 55.2 %
        elif name == "prim_sm.state":
            value = [11]                        # Battery Passive
        elif layout == "int16":
            value = [(-(index * 37 + 5)) & 0xFFFF if index % 2 else index * 41 + 3]
        elif layout == "uint32":
            value = [index, 1000 + index]
        else:
            value = [index * 53 + 7]
        served[name] = value
        for offset, word in enumerate(value):
            words[register + offset] = word
    return words, served


def crc(frame):
    value = FramerRTU.compute_CRC(frame)
    return frame + value.to_bytes(2, "big")


class Relay:
    """Copies bytes between rct's pseudo-terminal and the server's, with one fault."""

    def __init__(self, client, server, fault, delay, log, address):
        self.client, self.server, self.fault, self.delay, self.log = client, server, fault, delay, log
        self.address = address
        self.request = b""

    def run(self):
        while True:
            # Modbus RTU frames end with a silence on the line: a burst of bytes followed by
            # 20 ms of quiet is one frame (at 9600 baud 3.5 characters take 4 ms).
            ready, _, _ = select.select([self.client, self.server], [], [], 0.02 if self.request else None)
            if not ready and self.request:
                self.handle(self.request)
                self.request = b""
            if self.client in ready:
                self.request += os.read(self.client, 4096)
            if self.server in ready:
                data = os.read(self.server, 4096)
                time.sleep(0.02)  # let the rest of the answer arrive, to alter it whole
                try:
                    data += os.read(self.server, 4096)
                except BlockingIOError:
                    pass
                if self.fault == "silent":
                    continue
                if self.fault == "crc":
                    data = data[:-1] + bytes([data[-1] ^ 0xFF])
                elif self.fault == "wrong-slave":
                    data = crc(bytes([(data[0] % 247) + 1]) + data[1:-2])
                elif self.fault == "slow":
                    time.sleep(self.delay)
                os.write(self.client, data)

    def handle(self, frame):
        """One frame from rct: logged; passed on if a slave at our address would take it."""
        with open(self.log, "a") as log:
            log.write(frame.hex() + "\n")
        # A slave drops frames with a bad checksum and keeps quiet when another address is asked.
        if len(frame) < 4 or crc(frame[:-2]) != frame or frame[0] != self.address:
            return
        if self.fault.startswith("exception:"):
            code = int(self.fault.split(":")[1])
            os.write(self.client, crc(bytes([frame[0], frame[1] | 0x80, code])))
        else:
            os.write(self.server, frame)


def open_pty():
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    return master, os.ttyname(slave), slave


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--map", required=True)
    parser.add_argument("--expect", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--address", type=int, default=1)
    parser.add_argument("--fault", default="none")
    parser.add_argument("--delay", type=float, default=0)
    args = parser.parse_args()

    rows = []
    with open(args.map) as table:
        for line in table:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            rows.append((int(fields[0]), int(fields[1]), fields[2], fields[5]))
    words, served = known_values(rows)
    with open(args.expect, "w") as out:
        json.dump(served, out)
    open(args.log, "w").close()

    server_master, server_path, _ = open_pty()
    client_master, client_path, _ = open_pty()
    relay = Relay(client_master, server_master, args.fault, args.delay, args.log, args.address)
    threading.Thread(target=relay.run, daemon=True).start()

    block = ModbusSparseDataBlock(words)
    context = ModbusServerContext(devices={args.address: ModbusDeviceContext(hr=block)}, single=False)
    print(client_path, flush=True)
    asyncio.run(StartAsyncSerialServer(context, port=server_path, baudrate=9600))


if __name__ == "__main__":
    sys.exit(main())
