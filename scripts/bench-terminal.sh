#!/bin/bash
# Times `cat` of a decoded capture's text against `rct decode` of the capture, both drawn
# by a terminal (tmux, 200x50), in interleaved pairs; prints the median, fastest and
# slowest of each. Usage: scripts/bench-terminal.sh CAPTURE [PAIRS]  (needs tmux, a
# release build in .build/release).
set -euo pipefail
capture=$(realpath "$1")
pairs=${2:-8}
rct=$(realpath "$(dirname "$0")/../.build/release/rct")
work=$(mktemp -d)
trap 'tmux kill-session -t rct-bench 2>/dev/null || true; rm -rf "$work"' EXIT
"$rct" decode "$capture" > "$work/text"
cat > "$work/time.sh" <<'INNER'
#!/bin/bash
label=$1; log=$2; shift 2
start=$(date +%s%N); "$@"; end=$(date +%s%N)
echo "$label $(( (end - start) / 1000000 ))" >> "$log"
tmux wait-for -S rct-bench-done
INNER
chmod +x "$work/time.sh"
tmux new-session -d -x 200 -y 50 -s rct-bench
sleep 1
for _ in $(seq "$pairs"); do
    tmux send-keys -t rct-bench "$work/time.sh cat $work/log cat $work/text" Enter
    tmux wait-for rct-bench-done
    tmux send-keys -t rct-bench "$work/time.sh rct $work/log $rct decode $capture" Enter
    tmux wait-for rct-bench-done
done
for label in cat rct; do
    grep "^$label " "$work/log" | cut -d' ' -f2 | sort -n | awk -v label="$label" \
        '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
           printf "%s: median %d ms, fastest %d ms, slowest %d ms (%d runs)\n", label, m, v[1], v[NR], NR }'
done
