#!/bin/sh
# The main job against simulators: read, set with verification, a refused value, a dry run,
# a short grid charge with hand-back. Nothing here touches a real inverter.
set -e
rct=${1:-rct}
run() { echo "\$ rct $*"; "$rct" "$@" || echo "(exit $?)"; echo; }

echo "== the in-process simulator: nothing to set up"
run --simulator get battery.soc power_mng.soc_strategy inverter_sn

echo "== rct simulator on 127.0.0.1:18899, so the settings persist between commands"
"$rct" simulator --listen 127.0.0.1:18899 --speed 600 >/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null' EXIT
sleep 1
host=--host=127.0.0.1:18899
run $host set power_mng.soc_strategy External
run $host set power_mng.soc_strategy 4
run $host set power_mng.soc_min 1.5
run $host set power_mng.battery_power_extern -6000 --dry-run
run $host reserve --min 0.30
run $host get power_mng.soc_min power_mng.soc_charge --json
run $host reserve --default
run $host charge --power 6000 --until-soc 0.60 --max-duration 60s --poll 0.5
run $host get power_mng.soc_strategy power_mng.battery_power_extern battery.soc
