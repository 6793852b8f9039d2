#!/usr/bin/env python3
"""Several independent clients built on python rctclient, polling one inverter (or a gateway)
at once, the way Home Assistant's rct_power and similar integrations do. Used by the tests and
the benchmarks of `rct serve` (rctclient is GPL; none of its code enters ours).

  polling_clients.py HOST PORT --expected FILE [--clients N] [--mode first|check|mixed]
                     [--duration S] [--interval S] [--timeout S]

--expected is a JSON object {name: {"id": "0x...", "type": "float"|"string"|"enum"|..., "value": ...}}
with the values the device holds. Each client loops: one READ per object (in a random order),
then sleeps --interval. A "first" client takes the first RESPONSE it sees as its answer, as
naive integrations do; a "check" client skips responses for other objects. "mixed" makes half
of each. Every answer is compared with the expected value.

Prints one JSON object: per client {mode, requests, right, wrong, lost} and the totals, with
the 50th and 99th percentile of the time from sending a request to its right answer, in ms.
"""
import argparse
import json
import random
import socket
import threading
import time

from rctclient.exceptions import FrameCRCMismatch, FrameLengthExceeded, InvalidCommand
from rctclient.frame import ReceiveFrame, make_frame
from rctclient.types import Command, DataType
from rctclient.utils import decode_value

TYPES = {"float": DataType.FLOAT, "string": DataType.STRING, "enum": DataType.ENUM, "bool": DataType.BOOL,
         "uint8": DataType.UINT8, "int8": DataType.INT8, "uint16": DataType.UINT16, "int16": DataType.INT16,
         "uint32": DataType.UINT32, "int32": DataType.INT32}
RESPONSES = (Command.RESPONSE, Command.LONG_RESPONSE)


class Stream:
    """Bytes from a socket, cut into frames with rctclient's parser; resynchronises at the next
    start byte after a frame it rejects."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def next_frame(self, deadline):
        while True:
            start = self.buffer.find(b"+")
            if start >= 0:
                frame = ReceiveFrame()
                try:
                    used = frame.consume(self.buffer[start:])
                    if frame.complete():
                        self.buffer = self.buffer[start + used:]
                        return frame
                except (FrameCRCMismatch, InvalidCommand, FrameLengthExceeded):
                    self.buffer = self.buffer[start + 1:]
                    continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                return None
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk


def same(expected, got, kind):
    if kind == "float":
        return isinstance(got, float) and abs(got - expected) <= 1e-4 * max(1.0, abs(expected))
    return got == expected


def client(host, port, mode, expected, until, interval, timeout, result, latencies):
    names = list(expected)
    sock = socket.create_connection((host, port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    stream = Stream(sock)
    try:
        while time.monotonic() < until:
            random.shuffle(names)
            for name in names:
                if time.monotonic() >= until:
                    break
                entry = expected[name]
                oid = int(entry["id"], 16)
                sent = time.monotonic()
                sock.sendall(make_frame(Command.READ, oid))
                result["requests"] += 1
                deadline = sent + timeout
                while True:
                    frame = stream.next_frame(deadline)
                    if frame is None:
                        result["lost"] += 1
                        break
                    if frame.command not in RESPONSES:
                        continue  # requests of other clients, echoes
                    if mode == "check" and frame.id != oid:
                        continue
                    try:
                        value = decode_value(TYPES[entry["type"]], frame.data)
                    except Exception:
                        value = None
                    if frame.id == oid and same(entry["value"], value, entry["type"]):
                        result["right"] += 1
                        latencies.append(time.monotonic() - sent)
                    else:
                        result["wrong"] += 1
                    break
            if interval > 0:
                time.sleep(interval)
    except (ConnectionError, OSError) as error:
        result["error"] = str(error)
    finally:
        sock.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--expected", required=True)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--mode", choices=["first", "check", "mixed"], default="mixed")
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--interval", type=float, default=0)
    parser.add_argument("--timeout", type=float, default=2)
    arguments = parser.parse_args()
    with open(arguments.expected) as file:
        expected = json.load(file)
    until = time.monotonic() + arguments.duration
    results, threads, latencies = [], [], []
    for index in range(arguments.clients):
        mode = arguments.mode if arguments.mode != "mixed" else ("first" if index % 2 == 0 else "check")
        result = {"mode": mode, "requests": 0, "right": 0, "wrong": 0, "lost": 0}
        results.append(result)
        thread = threading.Thread(target=client, args=(arguments.host, arguments.port, mode, expected, until,
                                                       arguments.interval, arguments.timeout, result, latencies))
        threads.append(thread)
        thread.start()
    for thread in threads:
        thread.join()
    totals = {key: sum(r[key] for r in results) for key in ("requests", "right", "wrong", "lost")}
    latencies.sort()
    percentile = lambda p: round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 3) if latencies else None
    print(json.dumps({"clients": results, "totals": totals, "latency_ms": {"p50": percentile(0.5), "p99": percentile(0.99)}}))


if __name__ == "__main__":
    main()
