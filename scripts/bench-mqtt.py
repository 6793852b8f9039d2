#!/usr/bin/env python3
"""Measures `rct serve --mqtt` (Documentation/Performance.md): N daemons, each in front of its own
`rct simulator`, all publishing to one Mosquitto broker on loopback.

  scripts/bench-mqtt.py [--daemons 20] [--seconds 60] [--fast 10] [--samples 40] [--rct .build/release/rct]
                        [--serve-args '--fresh 0']

1. Messages per second at the broker, and CPU (percent of one core) and resident memory of each
   daemon, over --seconds after a warm-up that covers the first slow poll.
2. Latency from a value changing in a simulator (battery_power_extern written directly to it, as
   another client of the Wi-Fi module would) to the MQTT message carrying it, p50 and p99, over
   at least --samples changes, each daemon's made at random moments of its --fast poll interval.
Prints one JSON object. Needs mosquitto, mosquitto_sub and stdbuf; a release build of rct.
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--daemons", type=int, default=20)
parser.add_argument("--seconds", type=float, default=60)
parser.add_argument("--fast", type=float, default=10)
parser.add_argument("--samples", type=int, default=40)
parser.add_argument("--rct", default=".build/release/rct")
parser.add_argument("--serve-args", default="", help="more options for rct serve, e.g. '--fresh 0'")
args = parser.parse_args()

processes = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command):
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    processes.append(process)
    return process


def endpoint_of(process):
    return process.stdout.readline().split()[-1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


work = tempfile.mkdtemp()
try:
    port = free_port()
    with open(f"{work}/mosquitto.conf", "w") as f:
        f.write(f"persistence false\nlistener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n")
    broker = subprocess.Popen(["mosquitto", "-c", f"{work}/mosquitto.conf"], stderr=subprocess.DEVNULL)
    processes.append(broker)
    time.sleep(0.5)

    simulators = [endpoint_of(start([args.rct, "simulator", "--listen", "127.0.0.1:0"])) for _ in range(args.daemons)]
    daemons = []
    for index, simulator in enumerate(simulators):
        process = start([args.rct, "--host", simulator, "serve", "--listen", "127.0.0.1:0", "--mqtt",
                         f"mqtt://127.0.0.1:{port}", "--name", f"inv{index}", "--fast-interval", str(args.fast)] + args.serve_args.split())
        endpoint_of(process)
        daemons.append(process)

    # Every message, stamped by mosquitto_sub as it arrives.
    subscriber = subprocess.Popen(["stdbuf", "-oL", "mosquitto_sub", "-p", str(port), "-t", "rct/#", "-F", "%U %t %p"],
                                  stdout=subprocess.PIPE, text=True)
    processes.append(subscriber)
    arrivals = []
    lock = threading.Lock()

    def collect():
        for line in subscriber.stdout:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) == 3:
                with lock:
                    arrivals.append((float(parts[0]), parts[1], parts[2]))

    threading.Thread(target=collect, daemon=True).start()
    time.sleep(max(15, args.fast * 1.5))

    # 1. Throughput and cost.
    before = {d.pid: cpu_seconds(d.pid) for d in daemons}
    start_time = time.time()
    time.sleep(args.seconds)
    end_time = time.time()
    after = {d.pid: cpu_seconds(d.pid) for d in daemons}
    with lock:
        in_window = sum(1 for stamp, _, _ in arrivals if start_time <= stamp < end_time)
    cpu = [100 * (after[p] - before[p]) / (end_time - start_time) for p in before]
    rss = [rss_kib(d.pid) for d in daemons]

    # 2. Latency from a change in the simulator to the message: every daemon at once, each change
    # at a random moment of its poll interval, so the samples cover every phase of the poll.
    latencies = []

    def measure(index, rounds):
        for _ in range(rounds):
            time.sleep(random.uniform(0, args.fast))
            value = -random.randint(1, 5999)
            changed = time.time()
            subprocess.run([args.rct, "--host", simulators[index], "set", "power_mng.battery_power_extern", str(value)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            topic = f"rct/inv{index}/state/battery_power_extern"
            deadline = time.time() + args.fast * 3
            seen = None
            while seen is None and time.time() < deadline:
                time.sleep(0.05)
                with lock:
                    seen = next((stamp for stamp, t, payload in reversed(arrivals)
                                 if t == topic and payload == str(value) and stamp >= changed), None)
            if seen is not None:
                with lock:
                    latencies.append(seen - changed)

    rounds = -(-args.samples // args.daemons)
    workers = [threading.Thread(target=measure, args=(index, rounds)) for index in range(args.daemons)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    samples = rounds * args.daemons

    print(json.dumps({
        "daemons": args.daemons, "fast_interval_s": args.fast, "window_s": round(end_time - start_time, 1),
        "messages_per_s": round(in_window / (end_time - start_time), 1),
        "cpu_percent_per_daemon": {"mean": round(sum(cpu) / len(cpu), 2), "max": round(max(cpu), 2)},
        "rss_kib_per_daemon": {"mean": round(sum(rss) / len(rss)), "max": max(rss)},
        "latency_s": {"samples": len(latencies), "lost": samples - len(latencies),
                      "p50": round(percentile(latencies, 0.5), 3) if latencies else None,
                      "p99": round(percentile(latencies, 0.99), 3) if latencies else None},
        "cores": os.cpu_count(),
    }, indent=1))
finally:
    for process in reversed(processes):
        try:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
        except Exception:
            process.kill()
    subprocess.run(["rm", "-rf", work])
