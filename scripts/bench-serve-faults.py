#!/usr/bin/env python3
"""Reads answered within a client's 2 s window on a noisy link with a real device's timing,
directly and through `rct serve` (Documentation/Performance.md, "Answers within a client's window").

  scripts/bench-serve-faults.py [--rct .build/release/rct] [--seconds 120] [--rate 0.05] [--seed 7]

Starts `rct simulator --realistic --noise SEED --noise-rate RATE` on a port it picked itself,
then polls it with python rctclient clients that read one object at a time, give up after
2 s and skip answers for other objects (Tests/Oracle/polling_clients.py, mode check): one
client directly (several would read each other's answers, as on a real module), then one and
three clients through `rct serve` with its defaults, and once more with the cache off
(--fresh 0), so that every read crosses the link. Prints one JSON line per run: requests,
answered right within 2 s, wrong, lost, the share answered, and p50/p99 of the answer time.
"""
import argparse
import importlib
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
soak = importlib.import_module("soak-serve")

OBJECTS = ["battery.soc", "power_mng.soc_strategy", "power_mng.soc_min", "power_mng.soc_max",
           "g_sync.p_ac_grid_sum_lp", "dc_conv.dc_conv_struct[0].p_dc_lp"]


def poll(python, address, expected, clients, seconds):
    host, port = address.rsplit(":", 1)
    output = subprocess.run([python, os.path.join(here, "..", "Tests", "Oracle", "polling_clients.py"), host, port,
                             "--expected", expected, "--clients", str(clients), "--mode", "check",
                             "--duration", str(seconds), "--timeout", "2"], capture_output=True, text=True).stdout
    report = json.loads(output)
    totals = report["totals"]
    answered = totals["right"] / max(1, totals["requests"])
    return {**totals, "answered_within_2s": round(answered, 4), "latency_ms": report["latency_ms"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rct", default=".build/release/rct")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    python = sys.executable
    simulator = soak.Daemon([arguments.rct, "simulator", "--listen", "127.0.0.1:0", "--realistic",
                             "--noise", str(arguments.seed), "--noise-rate", str(arguments.rate)])
    try:
        values = soak.stable_values(arguments.rct, simulator.address, OBJECTS)
        expected = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bench-serve-faults-{os.getpid()}.json")
        with open(expected, "w") as file:
            json.dump(values, file)
        runs = [("direct, 1 client", simulator.address, [], 1)]
        for label, options, clients in [("rct serve, 1 client", [], 1), ("rct serve, 3 clients", [], 3),
                                        ("rct serve --fresh 0, 3 clients", ["--fresh", "0"], 3)]:
            runs.append((label, None, options, clients))
        for label, address, options, clients in runs:
            serve = None
            if address is None:
                serve = soak.Daemon([arguments.rct, "--host", simulator.address, "serve", "--listen", "127.0.0.1:0", *options])
                address = serve.address
            try:
                result = poll(python, address, expected, clients, arguments.seconds)
            finally:
                if serve:
                    serve.stop()
            print(json.dumps({"run": label, "noise_rate": arguments.rate, **result}), flush=True)
        os.remove(expected)
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
