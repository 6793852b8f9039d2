#!/usr/bin/env bash
# Wall time of whole `rct` processes against `rct simulator` on loopback:
# one `get` of one object, and one `get` of 100 objects. Usage: scripts/bench-cli.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
rct=.build/release/rct
[ -x "$rct" ] || make release >/dev/null
out=$(mktemp)
# Port 0: the simulator picks a free port; everything below talks only to the one it printed.
"$rct" simulator --listen 127.0.0.1:0 >"$out" &
sim=$!
trap 'kill $sim; rm -f "$out"' EXIT
for _ in $(seq 40); do [ -s "$out" ] && break; sleep 0.05; done
address=$(sed -n 's/^listening on //p' "$out")
[ -n "$address" ] || { echo "bench: the simulator did not start" >&2; exit 1; }
hundred=$("$rct" list --json | python3 -c 'import json,sys; print(" ".join([o["name"] for o in json.load(sys.stdin) if o["type"] in ("float","uint32","enum")][:100]))')
start=$(date +%s%N)
for _ in $(seq "$runs"); do "$rct" --host "$address" get battery.soc >/dev/null; done
end=$(date +%s%N)
echo "rct get (1 object), whole process: $(( (end - start) / runs / 1000 )) us mean over $runs runs"
start=$(date +%s%N)
for _ in $(seq 20); do "$rct" --host "$address" get $hundred >/dev/null; done
end=$(date +%s%N)
echo "rct get (100 objects), whole process: $(( (end - start) / 20 / 1000 )) us mean over 20 runs"
if [ -x .venv/bin/rctclient ]; then
  start=$(date +%s%N)
  for _ in $(seq 20); do .venv/bin/rctclient read-value --host "${address%:*}" --port "${address##*:}" --name battery.soc >/dev/null; done
  end=$(date +%s%N)
  echo "rctclient read-value (1 object), whole process: $(( (end - start) / 20 / 1000 )) us mean over 20 runs"
fi
