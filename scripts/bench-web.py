#!/usr/bin/env python3
"""How fast a change reaches the page of `rct serve --http`, what share of the link that
costs, and what open pages cost the daemon (Documentation/Performance.md, "The web page").

  scripts/bench-web.py [--rct .build/release/rct] [--changes 60] [--pages 20] [--browser-runs 5] [--no-mqtt]

Starts `rct simulator --realistic` and `rct serve --http` with its defaults on ports they
picked themselves (and, unless --no-mqtt, a Mosquitto broker for `--mqtt`, on a port that
was free a moment before), and three python rctclient clients polling the gateway
meanwhile (Tests/Oracle/polling_clients.py, one read per object, a round a second). Then:

- Changes: sets power_mng.soc_strategy to External on the simulator directly, then
  `--changes` times, at a random moment, sends a WRITE of a new
  power_mng.battery_power_extern to the simulator directly (one rctclient frame on a
  connection of its own, as another client of the Wi-Fi module would) and times, from just
  before that frame is sent, until the page's event stream (/api/events) carries the new battery
  power, and until the MQTT state topic does (mosquitto_sub's own arrival stamps).
  p50/p99/max of each, with the link's load meanwhile: requests per second (all, and
  the daemon's poller), and the bytes on the link (from the page's own pcap download) as a
  share of what a 115 200 baud line carries (the simulator's line rate, 11 520 bytes/s).
- Pages: the daemon's resident memory (VmRSS) with no page open, and with `--pages`
  clients that each do what the page does (GET /, its files, /api/values, /api/history,
  and /api/events kept open and read) for 60 s; the largest difference.
- First values: with pip's playwright and Debian's chromium, Tests/Oracle/browser_check.py
  opens the page `--browser-runs` times (the daemon running for a minute already) and
  reports how long the first values took from the start of the page's navigation.

Prints one JSON object.
"""
import argparse
import http.client
import importlib
import json
import math
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

from rctclient.frame import make_frame
from rctclient.types import Command, DataType
from rctclient.utils import encode_value

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
soak = importlib.import_module("soak-serve")
root = os.path.join(here, "..")

POLLED = ["battery.soc", "power_mng.soc_strategy", "power_mng.soc_min", "g_sync.p_ac_grid_sum_lp",
          "dc_conv.dc_conv_struct[0].p_dc_lp", "g_sync.p_ac_load_sum_lp"]
PAGE_FILES = ["/", "/app.js", "/app.css", "/dygraph.min.js", "/dygraph.min.css", "/api/values", "/api/history"]
LINE_BYTES_PER_SECOND = 115_200 / 10


def percentile(values, fraction):
    """Nearest rank: one of the values, never an interpolation."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def get(address, path):
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return body


class Arrivals:
    """Battery powers as they arrive somewhere, each with its time of arrival."""

    def __init__(self):
        self.seen = []
        self.lock = threading.Condition()

    def arrived(self, when, power):
        with self.lock:
            self.seen.append((when, power))
            self.lock.notify_all()

    def wait_for(self, power, since, timeout):
        """The first arrival of `power` at or after `since`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for when, seen in self.seen:
                    if when >= since and seen is not None and abs(seen - power) < 0.5:
                        return when
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.lock.wait(left)


class Events(Arrivals):
    """Reads /api/events and keeps the time and battery power of every `values` event."""

    def __init__(self, address):
        super().__init__()
        host, port = address.rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self.connection.request("GET", "/api/events")
        self.response = self.connection.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        event = None
        for raw in self.response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "values":
                values = json.loads(line[6:])["values"]
                self.arrived(time.monotonic(), next((v["number"] for v in values if v["key"] == "battery_power"), None))


class Broker(Arrivals):
    """A Mosquitto broker, and every battery power state published through it, stamped on arrival."""

    def __init__(self, work):
        super().__init__()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.config = config = os.path.join(work, f"bench-web-mosquitto-{os.getpid()}.conf")
        with open(config, "w") as file:
            file.write(f"persistence false\nlistener {self.port} 127.0.0.1\nallow_anonymous true\n")
        self.broker = subprocess.Popen(["mosquitto", "-c", config], stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        self.subscriber = subprocess.Popen(["stdbuf", "-oL", "mosquitto_sub", "-p", str(self.port), "-t",
                                            "rct/+/state/battery_power", "-F", "%U %p"], stdout=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.subscriber.stdout:
            stamp, payload = line.split(" ", 1)
            self.arrived(float(stamp), float(payload))

    def stop(self):
        for process in (self.subscriber, self.broker):
            process.terminate()
            process.wait(10)
        os.remove(self.config)


def summary(latencies):
    if not latencies:
        return None
    return {"p50": round(percentile(latencies, 0.5), 3), "p99": round(percentile(latencies, 0.99), 3),
            "max": round(max(latencies), 3)}


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def link_bytes(pcap, start, end):
    """Bytes each way in a pcap of the link (USER0, a direction byte first) between two wall times."""
    to_inverter = from_inverter = 0
    offset = 24
    while offset + 16 <= len(pcap):
        seconds, micros, length, _ = struct.unpack_from("<IIII", pcap, offset)
        when = seconds + micros / 1e6
        data = pcap[offset + 16: offset + 16 + length]
        offset += 16 + length
        if start <= when <= end and data:
            if data[0] == 0:
                to_inverter += len(data) - 1
            else:
                from_inverter += len(data) - 1
    return to_inverter, from_inverter


def health(address):
    return json.loads(get(address, "/api/health"))


def poller_requests(report):
    return sum(c["requests"] for c in report["client_list"] if c["name"] == "poller")


def open_page(address, stop):
    for path in PAGE_FILES:
        get(address, path)
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", "/api/events")
    response = connection.getresponse()
    while not stop.is_set():
        if not response.readline():
            break
    connection.close()


class Writer:
    """A connection of its own to the simulator that sends WRITE frames and drains what comes back."""

    EXTERN = 0xBD008E29  # power_mng.battery_power_extern

    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.socket = socket.create_connection((host, int(port)))
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        while self.socket.recv(4096):
            pass

    def write(self, power):
        frame = make_frame(command=Command.WRITE, id=self.EXTERN, payload=encode_value(DataType.FLOAT, float(power)))
        self.socket.sendall(frame)


def other_requests(report):
    return sum(c["requests"] for c in report["client_list"] if not c["daemon"])


def changes(arguments, simulator, serve, http_at, broker):
    rct = arguments.rct
    subprocess.run([rct, "--host", simulator.address, "set", "power_mng.soc_strategy", "2"], check=True, capture_output=True)
    expected = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bench-web-{os.getpid()}.json")
    with open(expected, "w") as file:
        json.dump(soak.stable_values(rct, simulator.address, POLLED), file)
    duration = arguments.changes * 4 + 30
    host, port = serve.address.rsplit(":", 1)
    clients = subprocess.Popen([sys.executable, os.path.join(root, "Tests", "Oracle", "polling_clients.py"), host, port,
                                "--expected", expected, "--clients", "3", "--mode", "check", "--duration", str(duration),
                                "--interval", "1", "--timeout", "2"], stdout=subprocess.DEVNULL)
    events = Events(http_at)
    writer = Writer(simulator.address)
    time.sleep(3)
    before, wall_start, started = health(http_at), time.time(), time.monotonic()
    latencies, missed, mqtt_latencies, mqtt_missed = [], 0, [], 0
    power = 0
    for _ in range(arguments.changes):
        time.sleep(random.uniform(0.5, 2.5))
        power = random.choice([p for p in range(-5000, 5001, 250) if p != power and p != 0])
        written, written_wall = time.monotonic(), time.time()
        writer.write(power)
        seen = events.wait_for(power, written, 15)
        if seen is None:
            missed += 1
        else:
            latencies.append(seen - written)
        if broker:
            arrived = broker.wait_for(power, written_wall, 15)
            if arrived is None:
                mqtt_missed += 1
            else:
                mqtt_latencies.append(arrived - written_wall)
    elapsed, wall_end = time.monotonic() - started, time.time()
    after = health(http_at)
    to_inverter, from_inverter = link_bytes(get(http_at, "/api/capture.pcap"), wall_start, wall_end)
    clients.terminate()
    clients.wait(10)
    os.remove(expected)
    return {
        "changes": arguments.changes, "missed": missed,
        "change_to_page_s": summary(latencies),
        "change_to_mqtt_s": summary(mqtt_latencies) if broker else None, "mqtt_missed": mqtt_missed,
        "seconds": round(elapsed, 1),
        "requests_per_s": round((after["exchanges"] - before["exchanges"]) / elapsed, 1),
        "poller_requests_per_s": round((poller_requests(after) - poller_requests(before)) / elapsed, 1),
        "answer_time_ms": {"p50": after["latency_p50_ms"], "p99": after["latency_p99_ms"]},
        "link_bytes_per_s": {"to_inverter": round(to_inverter / elapsed), "from_inverter": round(from_inverter / elapsed)},
        "line_share": round((to_inverter + from_inverter) / elapsed / LINE_BYTES_PER_SECOND, 3),
        "other_clients_requests_per_s": round((other_requests(after) - other_requests(before)) / elapsed, 1),
    }


def pages(arguments, serve, http_at):
    idle = []
    for _ in range(10):
        idle.append(rss_kib(serve.process.pid))
        time.sleep(1)
    stop = threading.Event()
    threads = [threading.Thread(target=open_page, args=(http_at, stop), daemon=True) for _ in range(arguments.pages)]
    for thread in threads:
        thread.start()
    busy = []
    for _ in range(60):
        time.sleep(1)
        busy.append(rss_kib(serve.process.pid))
    open_streams = health(http_at)
    stop.set()
    return {"pages": arguments.pages, "rss_kib_without": max(idle), "rss_kib_with_max": max(busy),
            "more_kib": max(busy) - max(idle), "gateway_clients_meanwhile": open_streams["clients"]}


def first_values(arguments, http_at):
    python = arguments.python
    check = os.path.join(root, "Tests", "Oracle", "browser_check.py")
    if subprocess.run([python, "-c", "import playwright"], capture_output=True).returncode != 0 or not os.path.exists("/usr/bin/chromium"):
        return None
    times = []
    for _ in range(arguments.browser_runs):
        out = subprocess.run([python, check, f"http://{http_at}/"], capture_output=True, text=True, timeout=120).stdout
        times.append(json.loads(out)["first_values_after_s"])
    return {"runs": len(times), "max_s": max(times), "all_s": times}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rct", default=".build/release/rct")
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--browser-runs", type=int, default=5)
    parser.add_argument("--python", default=os.path.join(root, ".venv", "bin", "python"))
    parser.add_argument("--no-mqtt", action="store_true", help="measure the page only")
    arguments = parser.parse_args()
    broker = None if arguments.no_mqtt else Broker(os.environ.get("TMPDIR", "/tmp"))
    simulator = soak.Daemon([arguments.rct, "simulator", "--listen", "127.0.0.1:0", "--realistic"])
    mqtt = [] if broker is None else ["--mqtt", f"mqtt://127.0.0.1:{broker.port}"]
    serve = soak.Daemon([arguments.rct, "--host", simulator.address, "serve", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", *mqtt])
    try:
        deadline = time.monotonic() + 10
        while not any(line.startswith("http on ") for line in serve.lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        http_at = next(line.split()[-1] for line in serve.lines if line.startswith("http on "))
        # Pages first: the daemon has made its first rounds of reads before a browser opens.
        result = {"pages": pages(arguments, serve, http_at)}
        result["first_values"] = first_values(arguments, http_at)
        result["changes"] = changes(arguments, simulator, serve, http_at, broker)
        print(json.dumps(result), flush=True)
    finally:
        serve.stop()
        simulator.stop()
        if broker:
            broker.stop()


if __name__ == "__main__":
    main()
