"""Receivers that misbehave the way real ones do under trouble: one that takes the request
and then says nothing until released, and one that answers one byte at a time. Each
records when a request has arrived, so a test can act while the send is still in flight."""

import socketserver
import threading
import time

from tests.harness.receivers import LocalServer

ANSWER = (
    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok": true}'
)


class StallingReceiver(LocalServer):
    """An HTTP server on 127.0.0.1. ``mode="hang"``: read the request, then wait (until
    ``release()`` or ``hold`` seconds) before answering; ``mode="trickle"``: answer one
    byte every ``every`` seconds. ``arrived`` is set when a request's headers are in;
    ``finished`` once an answer has been written in full."""

    def __init__(self, mode: str = "hang", *, hold: float = 60, every: float = 1.0) -> None:
        self.mode, self.hold, self.every = mode, hold, every
        self.arrived = threading.Event()
        self.finished = threading.Event()
        self.released = threading.Event()
        self.requests: list[bytes] = []
        receiver = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data = b""
                self.request.settimeout(10)
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = self.request.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                except OSError:
                    return
                receiver.requests.append(data)
                receiver.arrived.set()
                try:
                    if receiver.mode == "hang":
                        receiver.released.wait(receiver.hold)
                        self.request.sendall(ANSWER)
                    else:
                        for byte in ANSWER:
                            if receiver.released.is_set():
                                break
                            self.request.sendall(bytes([byte]))
                            time.sleep(receiver.every)
                    receiver.finished.set()
                except OSError:  # the sender gave up and closed the connection
                    return

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        super().__init__(Server(("127.0.0.1", 0), Handler))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def release(self) -> None:
        self.released.set()

    def __exit__(self, *exc) -> None:
        self.release()
        super().__exit__(*exc)
