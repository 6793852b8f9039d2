#!/bin/bash
# The least wall clock any `rct decode CAPTURE | grep -c crc` could take on this machine if
# formatting cost nothing, against `cat TEXT | grep -c crc` of the decoded text, in one
# sitting: rct's start (wall clock) plus, spread over the cores, the processor time of
# finding the frames (`--summary` less the start), of writing the text into a pipe (`cat`
# into grep less `cat` into /dev/null) and of grep reading it.
# Usage: scripts/bench-pipe-bound.sh CAPTURE [RUNS]  (needs hyperfine, perf, python3 and
# a release build in .build/release).
set -euo pipefail
capture=$(realpath "$1")
runs=${2:-10}
rct=$(realpath "$(dirname "$0")/../.build/release/rct")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$rct" decode "$capture" > "$work/text"
: > "$work/empty"
# An empty file is not an RCT stream: rct exits 64 after the same start-up work (-i).
hyperfine -i --warmup 2 --runs "$runs" --export-json "$work/wall.json" \
    "cat $work/text | grep -c crc" "$rct decode $work/empty" > /dev/null 2>&1
for i in $(seq "$runs"); do
    perf stat -x, -e task-clock -o "$work/cat.$i" cat "$work/text" \
        | perf stat -x, -e task-clock -o "$work/grep.$i" grep -c crc > /dev/null
    perf stat -x, -e task-clock -o "$work/null.$i" cat "$work/text" > /dev/null
    perf stat -x, -e task-clock -o "$work/summary.$i" "$rct" decode --summary "$capture" > /dev/null
    perf stat -x, -e task-clock -o "$work/start.$i" "$rct" decode "$work/empty" > /dev/null
done
python3 - "$work" "$runs" "$(nproc)" <<'PY'
import json, statistics, sys
work, runs, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
wall, start_wall = (statistics.median(r["times"]) * 1000 for r in json.load(open(f"{work}/wall.json"))["results"])
def clock(name):
    values = []
    for i in range(1, runs + 1):
        for line in open(f"{work}/{name}.{i}"):
            if "task-clock" in line:
                values.append(float(line.split(",")[0]))
    return statistics.mean(values)
decode = clock("summary") - clock("start")
write = clock("cat") - clock("null")
grep = clock("grep")
least = start_wall + (decode + write + grep) / cores
print(f"cat | grep {wall:.1f} ms; rct start {start_wall:.1f} ms, finding frames {decode:.1f} ms, "
      f"writing into the pipe {write:.1f} ms, grep {grep:.1f} ms (processor time); "
      f"least for rct | grep over {cores} cores {least:.1f} ms, {least / wall:.2f} times cat's")
PY
