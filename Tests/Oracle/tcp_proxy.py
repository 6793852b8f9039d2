#!/usr/bin/env python3
"""A TCP relay for tests that must lose a link without losing the inverter behind it.

  tcp_proxy.py TARGET_HOST TARGET_PORT

Listens on a free loopback port and prints "listening on 127.0.0.1:PORT". Every connection is
relayed to the target. SIGUSR1 cuts every relayed connection and refuses new ones (the link is
lost, the simulator behind it keeps its state); SIGUSR2 lets connections through again.
"""
import signal
import socket
import sys
import threading

target = (sys.argv[1], int(sys.argv[2]))
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
    if refused:
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
