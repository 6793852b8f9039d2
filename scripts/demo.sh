#!/bin/sh
# The main job against simulators: read, set with verification, a refused value, a dry run,
# a short grid charge with hand-back. Nothing here touches a real inverter: the simulator
# takes a free port of its own, and the demo writes only to the port that simulator printed.
set -e
rct=${1:-rct}
run() { echo "\$ rct $*"; "$rct" "$@" || echo "(exit $?)"; echo; }

echo "== the in-process simulator: nothing to set up"
run --simulator get battery.soc power_mng.soc_strategy inverter_sn

work=$(mktemp -d)
sim=
cleanup() {
  if [ -n "$sim" ]; then kill "$sim" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Port 0: the simulator picks a free port and prints "listening on HOST:PORT".
"$rct" simulator --listen 127.0.0.1:0 --speed 600 >"$work/simulator.out" 2>"$work/simulator.err" &
sim=$!
address=
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  address=$(sed -n 's/^listening on //p' "$work/simulator.out")
  [ -n "$address" ] && break
  kill -0 "$sim" 2>/dev/null || break
  sleep 0.25
done
if [ -z "$address" ]; then
  echo "demo: the simulator did not start, so nothing is sent anywhere:" >&2
  cat "$work/simulator.err" >&2
  exit 1
fi

echo "== rct simulator on $address (a free port it picked), so the settings persist between commands"
host=--host=$address
run $host set power_mng.soc_strategy External
run $host set power_mng.soc_strategy 4
run $host set power_mng.soc_min 1.5
run $host set power_mng.battery_power_extern -6000 --dry-run
run $host reserve --min 0.30
run $host get power_mng.soc_min power_mng.soc_charge --json
run $host reserve --default
run $host charge --power 6000 --until-soc 0.60 --max-duration 60s --poll 0.5
run $host get power_mng.soc_strategy power_mng.battery_power_extern battery.soc
