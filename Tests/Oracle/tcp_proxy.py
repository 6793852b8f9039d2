#!/usr/bin/env python3
"""A TCP relay for tests that must lose a link without losing the inverter behind it.

  tcp_proxy.py TARGET_HOST TARGET_PORT
  tcp_proxy.py --target-file FILE

Listens on a free loopback port and prints "listening on 127.0.0.1:PORT". Every connection is
relayed to the target. SIGUSR1 cuts every relayed connection and refuses new ones (the link is
lost, the simulator behind it keeps its state); SIGUSR2 lets connections through again.
With --target-file, the target is read from FILE ("HOST PORT") at each new connection; while
the file is empty or missing, connections are closed at once: an inverter that is not there,
without a port that a stranger could take meanwhile.
"""
import signal
import socket
import sys
import threading

target_file = sys.argv[2] if sys.argv[1] == "--target-file" else None
fixed_target = None if target_file else (sys.argv[1], int(sys.argv[2]))


def current_target():
    if not target_file:
        return fixed_target
    try:
        with open(target_file) as file:
            words = file.read().split()
    except OSError:
        return None
    return (words[0], int(words[1])) if len(words) == 2 else None

lock = threading.Lock()
open_sockets = []
state = {"cut": False}


def pump(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    for s in (source, sink):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def cut(*_):
    with lock:
        state["cut"] = True
        for s in open_sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        open_sockets.clear()


def restore(*_):
    with lock:
        state["cut"] = False


signal.signal(signal.SIGUSR1, cut)
signal.signal(signal.SIGUSR2, restore)
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(16)
print("listening on 127.0.0.1:%d" % server.getsockname()[1], flush=True)
while True:
    client, _ = server.accept()
    with lock:
        refused = state["cut"]
    target = current_target()
    if refused or target is None:
        client.close()
        continue
    try:
        upstream = socket.create_connection(target)
    except OSError:
        client.close()
        continue
    with lock:
        open_sockets.extend([client, upstream])
    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
