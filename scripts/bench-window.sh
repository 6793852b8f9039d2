#!/usr/bin/env bash
# Reads 50 ordinary objects from `rct simulator --realistic` (Documentation/Performance.md):
# rct get with the default window, rct get --window 1, and python rctclient reading them one
# after the other on one connection; prints the median of RUNS runs of each and the bound the
# timing model sets. Needs a release build (make release) and the test venv (make venv).
set -euo pipefail
cd "$(dirname "$0")/.."
rct=${RCT:-.build/release/rct}
python=${PYTHON:-.venv/bin/python}
runs=${RUNS:-5}
work=$(mktemp -d)
"$rct" simulator --realistic --listen 127.0.0.1:0 > "$work/sim.out" 2> "$work/sim.err" &
sim=$!
trap 'kill $sim 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/sim.out" ] && break; sleep 0.1; done
endpoint=$(head -1 "$work/sim.out" | awk '{print $NF}')
host=${endpoint%:*}
port=${endpoint##*:}

# 50 ordinary objects the simulator answers: floats, enums, strings of the battery, grid and power manager.
mapfile -t objects < <("$rct" list | awk '{print $1}' | grep -E '^(battery|g_sync|power_mng|dc_conv|energy)\.' | head -50)
"$rct" list --json | "$python" -c '
import json, sys
wanted = set(sys.argv[1:])
print(json.dumps([o["id"] for o in json.load(sys.stdin) if o["name"] in wanted]))' "${objects[@]}" > "$work/ids.json"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local start=$EPOCHREALTIME; "$@" > /dev/null; awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f\n", b - a}'; }

window_default=$(for _ in $(seq "$runs"); do seconds "$rct" --host "$endpoint" get "${objects[@]}"; done | median)
window_one=$(for _ in $(seq "$runs"); do seconds "$rct" --host "$endpoint" get --window 1 "${objects[@]}"; done | median)
rctclient=$(for _ in $(seq "$runs"); do seconds "$python" - "$host" "$port" "$work/ids.json" <<'EOF'
# One object after the other on one connection, as Home Assistant's rct_power reads them.
import json, socket, sys
from rctclient.frame import ReceiveFrame, make_frame
from rctclient.types import Command
objects = json.load(open(sys.argv[3]))
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3) as connection:
    for object_id in objects:
        object_id = int(object_id, 16)
        connection.send(make_frame(command=Command.READ, id=object_id))
        frame = ReceiveFrame()
        while True:
            data = connection.recv(256)
            used = frame.consume(data)
            if frame.complete():
                if frame.id == object_id:
                    break
                frame = ReceiveFrame()
                frame.consume(data[used:])
EOF
done | median)
echo "objects: ${#objects[@]}, median of $runs runs, seconds"
echo "rct get (default window): $window_default"
echo "rct get --window 1:       $window_one"
echo "rctclient one by one:     $rctclient"
# The model's bound: the device serves one request at a time (10 ms each), plus one latency
# (200 ms) and the line time of one request and one answer (about 20 bytes at 115200 baud).
awk -v n="${#objects[@]}" 'BEGIN {printf "bound (0.2 + n x 0.010 + 20 x 10 / 115200): %.3f\n", 0.2 + n * 0.010 + 200 / 115200}'
