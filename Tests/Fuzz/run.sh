#!/usr/bin/env bash
# Builds the decoder fuzzer with libFuzzer and AddressSanitizer and runs it for $1 seconds
# (default 60). Crashing inputs land in Tests/Fuzz/regressions/, which RCTProtocolTests replays.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name RCTFuzz \
  FuzzDecoder.swift ../../Sources/RCTProtocol/*.swift -o fuzz-decoder
mkdir -p corpus regressions
# Seed with the regression inputs and a few real frames.
cp regressions/* corpus/ 2>/dev/null || true
printf '\x2b\x02\x05\xf1\x68\xb7\x48\x02\x7a\x40' > corpus/seed-write
printf 'AT+\r\x2b\x3c\xe1\x00\x2b\x01\x04\x95\x99\x30\xbf\x0d\x65' > corpus/seed-noise
./fuzz-decoder corpus -max_total_time="$seconds" -max_len=4096 -artifact_prefix=regressions/ -print_final_stats=1
