#!/usr/bin/env python3
"""Answers questions about frames and values with python rctclient, as an independent oracle.

The Swift tests run this as an external program (rctclient is GPL; none of its code
enters ours). Each input line is a JSON request; each output line the JSON answer.

  {"op": "frame", "command": 2, "id": 4050171720, "payload": "02", "address": 0}
      -> {"hex": "2b0205..."}        the frame as rctclient builds it
  {"op": "parse", "hex": "2b0205..."}
      -> {"frames": [{"command": 2, "id": ..., "address": ..., "payload": "..", "crc_ok": true}]}
  {"op": "decode", "type": "FLOAT", "hex": "3f000000"}
      -> {"value": 0.5}               scalars only; composites as their repr
  {"op": "encode", "type": "FLOAT", "value": 0.5} -> {"hex": "3f000000"}
"""
import json
import sys

from rctclient.exceptions import FrameCRCMismatch, InvalidCommand, FrameLengthExceeded
from rctclient.frame import ReceiveFrame, make_frame
from rctclient.types import Command, DataType, FrameType
from rctclient.utils import decode_value, encode_value


def parse(data):
    """Frames rctclient finds in `data`. After a frame it rejects, scanning goes on at the next
    start byte after that frame's own, which is how a careful user of its parser resynchronises."""
    frames = []
    while data:
        frame = ReceiveFrame()
        try:
            used = frame.consume(data)
        except (FrameCRCMismatch, InvalidCommand, FrameLengthExceeded):
            following = data.find(b"+", 1)
            data = data[following:] if following > 0 else b""
            continue
        data = data[used:]
        if frame.complete():
            frames.append({"command": int(frame.command), "id": frame.id, "address": frame.address,
                           "payload": frame.data.hex(), "crc_ok": frame.crc_ok})
    return frames


def answer(request):
    op = request["op"]
    if op == "frame":
        command = Command(request["command"])
        frame_type = FrameType.PLANT if command & 0x40 else FrameType.STANDARD
        raw = make_frame(command, request["id"], bytes.fromhex(request["payload"]),
                         address=request.get("address", 0), frame_type=frame_type)
        return {"hex": raw.hex()}
    if op == "parse":
        return {"frames": parse(bytes.fromhex(request["hex"]))}
    if op == "decode":
        value = decode_value(DataType[request["type"]], bytes.fromhex(request["hex"]))
        if isinstance(value, (bool, int, float, str)):
            return {"value": value}
        if isinstance(value, tuple):  # timeseries and event table: (timestamp, {time: entry})
            stamp, entries = value
            rows = []
            for when, entry in entries.items():
                if isinstance(entry, (int, float)):
                    rows.append([int(when.timestamp()), entry])
                else:
                    rows.append([int(when.timestamp()), entry.entry_type, entry.element2, entry.element3, entry.element4])
            return {"time": int(stamp.timestamp()), "rows": rows}
        return {"repr": repr(value)}
    if op == "encode":
        return {"hex": encode_value(DataType[request["type"]], request["value"]).hex()}
    raise ValueError(f"unknown op {op}")


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            print(json.dumps(answer(json.loads(line))), flush=True)
        except Exception as exc:  # report, do not die: the Swift side decides
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)


if __name__ == "__main__":
    main()
