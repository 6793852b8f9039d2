#!/bin/sh
# The main job against the built-in simulator: read, set with verification, read again.
set -e
rct=${1:-rct}
run() { echo "\$ rct $*"; "$rct" "$@"; echo; }
run --simulator get battery.soc power_mng.soc_strategy power_mng.soc_min
run --simulator set power_mng.soc_strategy External
run --simulator set power_mng.soc_min 0.30
run --simulator set power_mng.soc_min 1.5 || echo "(refused, exit $?: nothing was sent)"
run --simulator set power_mng.battery_power_extern -6000 --dry-run
run --simulator charge --power 3000 --until-soc 0.56 --max-duration 30s --speed 600 || true
run --simulator get battery.soc --json
