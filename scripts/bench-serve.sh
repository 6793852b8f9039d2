#!/usr/bin/env bash
# Measures rct serve against rct simulator on loopback (Documentation/Performance.md):
#   1. wrong and lost answers: 6 python-rctclient clients polling for 30 s, direct and through rct serve;
#   2. upstream load: 5 clients polling the same 20 objects every second, exchanges per client request;
#   3. latency the gateway adds to one client's reads (cache off), p50 and p99;
#   4. resident memory of rct serve with 10 clients polling for 10 minutes, sampled every 10 s.
# Needs a release build (make release) and the test venv (make venv).
# DURATION=S, LOAD_SECONDS=S and MEMORY_MINUTES=M shorten the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
rct=${RCT:-.build/release/rct}
python=${PYTHON:-.venv/bin/python}
clients=Tests/Oracle/polling_clients.py
duration=${DURATION:-30}
load_seconds=${LOAD_SECONDS:-30}
memory_minutes=${MEMORY_MINUTES:-10}
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

# Starts a process whose first line says "... HOST:PORT"; prints that address.
start() {
  local name=$1; shift
  "$@" > "$work/$name.out" 2> "$work/$name.err" &
  pids+=($!)
  echo $! > "$work/$name.pid"
  for _ in $(seq 100); do
    if [ -s "$work/$name.out" ]; then head -1 "$work/$name.out" | awk '{print $NF}'; return; fi
    sleep 0.1
  done
  echo "bench: $name did not start" >&2; cat "$work/$name.err" >&2; exit 1
}

# Writes the expected values of the named objects, as polling_clients.py reads them.
expected() {
  local endpoint=$1 file=$2; shift 2
  "$rct" --host "$endpoint" get "$@" --json | "$python" -c '
import json, sys
print(json.dumps({i["name"]: {"id": i["id"], "type": i["type"], "value": i["value"]} for i in json.load(sys.stdin) if "value" in i}))' > "$file"
}

# A counter from a metrics endpoint.
metric() { "$python" -c '
import sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
text = urllib.request.urlopen("http://" + sys.argv[1] + "/metrics").read().decode()
print(sum(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == sys.argv[2]))' "$1" "$2"; }

# One line from a polling_clients.py report (on stdin), labelled $1.
cat > "$work/summary.py" <<'PY'
import json, sys
report = json.load(sys.stdin)
totals, latency = report["totals"], report["latency_ms"]
requests = totals["requests"] or 1
least = min(client["right"] for client in report["clients"])
print(f"{sys.argv[1]}: {totals['requests']} requests, wrong {100 * totals['wrong'] / requests:.2f} %, "
      f"lost {100 * totals['lost'] / requests:.2f} %, least served client {least} right answers, "
      f"latency p50 {latency['p50']} ms, p99 {latency['p99']} ms")
PY
summary() { "$python" "$work/summary.py" "$1"; }

simulator=$(start simulator "$rct" simulator --listen 127.0.0.1:0)
expected "$simulator" "$work/six.json" battery.soc inverter_sn power_mng.soc_strategy power_mng.soc_min android_description power_mng.soc_max
echo "== 1. wrong and lost answers: 6 clients (3 take the first answer, 3 check the id), ${duration} s"
"$python" $clients ${simulator%:*} ${simulator##*:} --expected "$work/six.json" --clients 6 --duration "$duration" | summary "direct to the simulator"
gateway=$(start serve "$rct" --host "$simulator" serve --listen 127.0.0.1:0 --metrics 127.0.0.1:0)
metrics=$(sed -n 2p "$work/serve.out" | awk '{print $NF}')
"$python" $clients ${gateway%:*} ${gateway##*:} --expected "$work/six.json" --clients 6 --duration "$duration" | summary "through rct serve"

echo "== 2. upstream load: 5 clients polling the same 20 objects every second, ${load_seconds} s"
floats=$("$rct" list --json | "$python" -c '
import json, sys
print(" ".join([o["name"] for o in json.load(sys.stdin) if o["type"] == "float" and "[" not in o["name"]][:40]))')
# shellcheck disable=SC2086
expected "$simulator" "$work/twenty.json" $floats
"$python" -c 'import json, sys; d = json.load(open(sys.argv[1])); json.dump(dict(list(d.items())[:20]), open(sys.argv[1], "w"))' "$work/twenty.json"
before=$(metric "$metrics" rct_upstream_exchanges_total)
report=$("$python" $clients ${gateway%:*} ${gateway##*:} --expected "$work/twenty.json" --clients 5 --mode check --interval 1 --duration "$load_seconds")
after=$(metric "$metrics" rct_upstream_exchanges_total)
echo "$report" | summary "5 clients x 20 objects"
"$python" -c 'import json, sys; r = json.loads(sys.argv[1]); up = float(sys.argv[3]) - float(sys.argv[2]); n = r["totals"]["requests"]
print(f"upstream exchanges {up:.0f} for {n} client requests: {up / n:.3f} per request")' "$report" "$before" "$after"

echo "== 3. latency one client sees, cache off (--fresh 0), ${duration} s each"
direct=$(start simulator2 "$rct" simulator --listen 127.0.0.1:0)
expected "$direct" "$work/one.json" battery.soc power_mng.soc_strategy power_mng.soc_min
"$python" $clients ${direct%:*} ${direct##*:} --expected "$work/one.json" --clients 1 --mode check --duration "$duration" | summary "direct"
nocache=$(start serve2 "$rct" --host "$direct" serve --listen 127.0.0.1:0 --fresh 0)
"$python" $clients ${nocache%:*} ${nocache##*:} --expected "$work/one.json" --clients 1 --mode check --duration "$duration" | summary "through rct serve"

echo "== 4. resident memory of rct serve: 10 clients polling for ${memory_minutes} min"
serve_pid=$(cat "$work/serve.pid")
"$python" $clients ${gateway%:*} ${gateway##*:} --expected "$work/six.json" --clients 10 --interval 0.1 \
  --duration $((memory_minutes * 60)) > "$work/memory.json" &
pids+=($!)
samples=()
for _ in $(seq $((memory_minutes * 6))); do
  sleep 10
  samples+=("$(awk '/VmRSS/ {print $2}' /proc/"$serve_pid"/status)")
done
wait $! 2>/dev/null || true
summary "10 clients" < "$work/memory.json"
printf 'RSS KiB every 10 s: %s\n' "${samples[*]}"
printf 'first %s KiB, last %s KiB, peak %s KiB\n' "${samples[0]}" "${samples[-1]}" "$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)"
