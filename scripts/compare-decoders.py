#!/usr/bin/env python3
"""Decodes the same noisy capture with `rct decode` and with python rctclient's parser.

Writes a capture of N frames (mostly 4-byte responses) with a burst of random garbage,
rich in 2B and 2D bytes, before 20 % of the frames; then reports how many intact frames
each decoder recovered and how fast. rctclient is run as an external library only.

    .venv/bin/python scripts/compare-decoders.py [frames]
"""
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time

from rctclient.frame import make_frame
from rctclient.types import Command

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "Oracle"))
from rctclient_oracle import parse  # noqa: E402  the tests' way of running rctclient's parser

count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
rng = random.Random(7)
ids = [0x959930BF, 0xF168B748, 0x400F015B, 0x1AC87AA0, 0x91617C58]
stream = bytearray()
for _ in range(count):
    if rng.random() < 0.2:
        stream += bytes(rng.choice([0x2B, 0x2D, 0x00]) if rng.random() < 0.33 else rng.randrange(256)
                        for _ in range(rng.randint(1, 24)))
    stream += make_frame(Command.RESPONSE, rng.choice(ids), struct.pack(">f", rng.random()))

with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as capture:
    capture.write(stream)

start = time.perf_counter()
summary = subprocess.run([".build/release/rct", "decode", capture.name, "--summary", "--json"],
                         capture_output=True, text=True, check=True).stdout
rct_seconds = time.perf_counter() - start
rct_frames = json.loads(summary)["frames"]

start = time.perf_counter()
found = sum(1 for frame in parse(bytes(stream)) if frame["crc_ok"])
py_seconds = time.perf_counter() - start

mb = len(stream) / 1e6
print(f"capture: {count} intact frames, {mb:.2f} MB, garbage before 20 % of frames")
print(f"rct decode (whole process): {min(rct_frames, count) / count:.1%} recovered, {mb / rct_seconds:.1f} MB/s")
print(f"rctclient ReceiveFrame:     {min(found, count) / count:.1%} recovered, {mb / py_seconds:.2f} MB/s")
