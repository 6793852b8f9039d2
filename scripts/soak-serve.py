#!/usr/bin/env python3
"""Soak of `rct serve` under faults and hostile clients (Documentation/Performance.md, "Soak").

  scripts/soak-serve.py [--rct .build/release/rct] [--minutes 5] [--clients 50] [--objects 3]
                        [--stall-every 60] [--stall 10] [--restart-at 0.5] [--no-hostile] [--realistic]

Starts its own `rct simulator` and `rct serve` on loopback ports they picked themselves (port 0,
read back from their first line), so it never talks to a program it did not start. Then, for
the whole run:
- well-behaved clients, each reading objects of its own (one request at a time, 2 s deadline,
  skipping answers for another object as rct_power does, reconnecting after a refusal or a
  close), every answer checked against the value read from the simulator directly before the run;
- the inverter stalled with SIGSTOP for --stall seconds every --stall-every seconds, and
  restarted once (killed, started again on the same port) at --restart-at of the run;
- hostile clients: 20 gateway connections that never send, a keep-alive HTTP connection that
  pipelines GET /metrics and never reads, 300 idle HTTP connections, 4 that send a byte a
  second; each is opened again whenever the daemon closes it.
It samples the daemon's resident memory and open descriptors every second and prints one JSON
object: wrong answers, answers and the least-served client's share of the mean, the longest gap
any well-behaved client saw between two answers (and outside stalls), peak memory and
descriptors. Needs the test venv (make venv) for rctclient's frame parser.
"""
import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "Oracle"))
from polling_clients import RESPONSES, TYPES, Stream, same  # noqa: E402
from rctclient.frame import make_frame  # noqa: E402
from rctclient.types import Command  # noqa: E402
from rctclient.utils import decode_value  # noqa: E402

SCALARS = {"float", "uint8", "int8", "uint16", "int16", "uint32", "int32", "string", "enum", "bool"}


class Daemon:
    """A child process whose first line ends in the HOST:PORT it listens on."""

    def __init__(self, arguments):
        self.process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"soak: {arguments[1:3]} did not start")
        self.address = line.split()[-1]
        self.lines = [line]
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def host_port(self):
        host, port = self.address.rsplit(":", 1)
        return host, int(port)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def stable_values(rct, address, names):
    """name -> {id, type, value} for the objects that hold still over two reads."""
    def read():
        out = subprocess.run([rct, "--host", address, "get", *names, "--json"], capture_output=True, text=True).stdout
        return {i["name"]: i for i in json.loads(out) if "value" in i}
    first = read()
    time.sleep(1)
    second = read()
    return {n: {"id": i["id"], "type": i["type"], "value": i["value"]} for n, i in first.items()
            if n in second and second[n]["value"] == i["value"]}


class Client(threading.Thread):
    def __init__(self, endpoint, objects, until, stalls):
        super().__init__(daemon=True)
        self.endpoint, self.objects, self.until, self.stalls = endpoint, objects, until, stalls
        self.right = self.wrong = self.lost = self.refused = self.stale = 0
        self.gap = self.gap_outside_stalls = 0.0

    def note_answer(self, last, now):
        self.gap = max(self.gap, now - last)
        if not any(start < now and last < end for start, end in self.stalls):
            self.gap_outside_stalls = max(self.gap_outside_stalls, now - last)

    def run(self):
        last = time.monotonic()
        while time.monotonic() < self.until:
            try:
                sock = socket.create_connection(self.endpoint, timeout=3)
            except OSError:
                self.refused += 1
                time.sleep(0.5)
                continue
            stream = Stream(sock)
            try:
                while time.monotonic() < self.until:
                    for name, entry in self.objects.items():
                        oid = int(entry["id"], 16)
                        sent = time.monotonic()
                        sock.sendall(make_frame(Command.READ, oid))
                        while True:
                            frame = stream.next_frame(sent + 2)
                            if frame is None:
                                self.lost += 1
                                break
                            if frame.command not in RESPONSES:
                                continue
                            if frame.id != oid:
                                # The late answer to a read this client gave up on: its own, skipped.
                                self.stale += 1
                                continue
                            try:
                                value = decode_value(TYPES[entry["type"]], frame.data)
                            except Exception:
                                value = None
                            if same(entry["value"], value, entry["type"]):
                                now = time.monotonic()
                                self.note_answer(last, now)
                                last = now
                                self.right += 1
                            else:
                                self.wrong += 1
                            break
            except (ConnectionError, OSError):
                time.sleep(0.5)
            finally:
                sock.close()
        self.note_answer(last, time.monotonic())


def hold_connections(endpoint, count, until, payload=None, every=None, reads=False):
    """Keeps `count` connections open to `endpoint` until `until`, each sending `payload` every
    `every` seconds (or nothing); one that `reads` takes what the daemon sends and drops it, one
    that does not never reads. Opens a connection again when the daemon closes it (seen with
    POLLRDHUP, which tells a close even while unread bytes wait). Returns how many times the
    daemon closed one."""
    closed = [0]

    def keep():
        while time.monotonic() < until:
            try:
                sock = socket.create_connection(endpoint, timeout=3)
            except OSError:
                time.sleep(0.5)
                continue
            sock.setblocking(False)
            watch = select.poll()
            watch.register(sock, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
            try:
                while time.monotonic() < until:
                    if payload is not None:
                        try:
                            sock.send(payload)
                        except BlockingIOError:
                            pass
                    time.sleep(every or 0.5)
                    if reads:
                        try:
                            sock.recv(65536)
                        except BlockingIOError:
                            pass
                    if watch.poll(0):
                        raise ConnectionError
            except (ConnectionError, OSError):
                closed[0] += 1
                time.sleep(0.2)
            finally:
                sock.close()

    threads = [threading.Thread(target=keep, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return closed


def sample(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
        return rss, len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, StopIteration):
        return 0, 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rct", default=".build/release/rct")
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--objects", type=int, default=3)
    parser.add_argument("--stall-every", type=float, default=60)
    parser.add_argument("--stall", type=float, default=10)
    parser.add_argument("--restart-at", type=float, default=0.5)
    parser.add_argument("--no-hostile", action="store_true")
    parser.add_argument("--realistic", action="store_true", help="the simulator keeps a real device's timing")
    arguments = parser.parse_args()
    rct = arguments.rct

    timing = ["--realistic"] if arguments.realistic else []
    simulator = Daemon([rct, "simulator", "--listen", "127.0.0.1:0", *timing])
    serve = Daemon([rct, "--host", simulator.address, "serve", "--listen", "127.0.0.1:0",
                    "--metrics", "127.0.0.1:0", "--max-clients", str(arguments.clients + 4)])
    metrics = serve.host_port
    while len(serve.lines) < 2 and serve.process.poll() is None:
        time.sleep(0.05)
    metrics_line = next((line for line in serve.lines if line.startswith("metrics on")), None)
    if metrics_line:
        host, port = metrics_line.split()[-1].rsplit(":", 1)
        metrics = (host, int(port))
    catalogue = json.loads(subprocess.run([rct, "list", "--json"], capture_output=True, text=True).stdout)
    names = [o["name"] for o in catalogue if o["type"] in SCALARS and not o["writable"]]
    values = stable_values(rct, simulator.address, names[: arguments.clients * arguments.objects * 2])
    pool = list(values.items())
    if len(pool) < arguments.clients * arguments.objects:
        raise SystemExit(f"soak: only {len(pool)} objects hold still, {arguments.clients * arguments.objects} needed")

    start = time.monotonic()
    until = start + arguments.minutes * 60
    stalls = []
    clients = []
    for index in range(arguments.clients):
        own = dict(pool[index * arguments.objects:(index + 1) * arguments.objects])
        clients.append(Client(serve.host_port, own, until, stalls))
    hostile = {}
    if not arguments.no_hostile:
        hostile["idle gateway connections closed"] = hold_connections(serve.host_port, 20, until, reads=True)
        pipelined = b"GET /metrics HTTP/1.1\r\nHost: soak\r\n\r\n" * 64
        hostile["pipelining non-readers closed"] = hold_connections(metrics, 1, until, pipelined, every=0.01)
        hostile["idle HTTP connections closed"] = hold_connections(metrics, 300, until)
        hostile["slow HTTP connections closed"] = hold_connections(metrics, 4, until, b"G", every=1)
    for client in clients:
        client.start()

    peak_rss = peak_fds = 0
    restarted = False
    next_stall = start + arguments.stall_every
    while time.monotonic() < until:
        now = time.monotonic()
        if now >= next_stall and now + arguments.stall < until:
            simulator.process.send_signal(signal.SIGSTOP)
            time.sleep(arguments.stall)
            simulator.process.send_signal(signal.SIGCONT)
            stalls.append((now, time.monotonic() + 2))
            next_stall = time.monotonic() + arguments.stall_every
        elif not restarted and now >= start + arguments.restart_at * arguments.minutes * 60:
            restarted = True
            address = simulator.address
            began = time.monotonic()
            simulator.stop()
            simulator = Daemon([rct, "simulator", "--listen", address, *timing])
            if simulator.address != address:
                raise SystemExit(f"soak: the simulator came back on {simulator.address}, not {address}")
            stalls.append((began, time.monotonic() + 5))
        rss, fds = sample(serve.process.pid)
        peak_rss, peak_fds = max(peak_rss, rss), max(peak_fds, fds)
        time.sleep(1)
    for client in clients:
        client.join(10)
    rss, fds = sample(serve.process.pid)
    serve_alive = serve.process.poll() is None
    serve.stop()
    simulator.stop()

    answers = [c.right for c in clients]
    mean = sum(answers) / len(answers)
    print(json.dumps({
        "minutes": arguments.minutes, "clients": arguments.clients,
        "answers": sum(answers), "wrong": sum(c.wrong for c in clients), "lost": sum(c.lost for c in clients),
        "late_answers_skipped": sum(c.stale for c in clients),
        "refused_connects": sum(c.refused for c in clients),
        "least_served_share": round(min(answers) / mean, 3) if mean else 0,
        "longest_gap_s": round(max(c.gap for c in clients), 2),
        "longest_gap_outside_faults_s": round(max(c.gap_outside_stalls for c in clients), 2),
        "stalls": len(stalls), "daemon_alive_at_end": serve_alive,
        "peak_rss_mb": round(peak_rss / 1024, 1), "end_rss_mb": round(rss / 1024, 1),
        "peak_fds": peak_fds, "end_fds": fds,
        "hostile": {name: closed[0] for name, closed in hostile.items()},
    }))


if __name__ == "__main__":
    main()
