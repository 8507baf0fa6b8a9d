"""A local HTTP server on 127.0.0.1 whose answers a test scripts, fault by fault."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Faults: announce more bytes than sent; close the socket without answering; send slowly.
    cut_short: bool = False
    reset: bool = False
    trickle_s: float = 0.0


@dataclass
class Script:
    """Replies served in order (the last one repeats); requests are recorded."""

    replies: list[Reply]
    requests: list[dict[str, str]] = field(default_factory=list)

    def next(self, headers: dict[str, str]) -> Reply:
        self.requests.append(headers)
        return self.replies[min(len(self.requests) - 1, len(self.replies) - 1)]


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            reply = script.next({k: v for k, v in self.headers.items()})
            if reply.reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                self.connection.close()
                return
            self.send_response(reply.status)
            length = len(reply.body) + (100 if reply.cut_short else 0)
            self.send_header("Content-Length", str(length))
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.end_headers()
            if reply.trickle_s:
                for byte in reply.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.trickle_s)
            else:
                self.wfile.write(reply.body)
            if reply.cut_short:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)

    return Handler


@contextmanager
def serve(script: Script) -> Iterator[str]:
    """Start the server on a free loopback port; yields its base URL; always stops it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
