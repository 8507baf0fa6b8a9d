"""A local HTTP server on 127.0.0.1 whose answers a test scripts, fault by fault."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


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
def serving(server: ThreadingHTTPServer) -> Iterator[str]:
    """Run a server bound to a loopback port in a thread; yields its base URL; always stops it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve(script: Script) -> Iterator[str]:
    """Start the server on a free loopback port; yields its base URL; always stops it."""
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))) as base:
        yield base


def _mirror_handler(root: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            rel = unquote(urlsplit(self.path).path).lstrip("/")
            target = (root / rel).resolve()
            if not target.is_relative_to(root.resolve()) or not target.is_file():
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = target.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def serve_mirror(root: Path) -> Iterator[str]:
    """Serve a mirror directory (``<host>/<path>``) over HTTP on loopback: ``GET /<host>/<path>``."""
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _mirror_handler(root))) as base:
        yield base


def urls_through(base: str) -> dict[str, list[object]]:
    """The registry's official URLs rewritten to fetch from ``serve_mirror`` (same host/path layout)."""
    import dataclasses

    from sources.registry import default_urls

    rewritten: dict[str, list[object]] = {}
    for dataset, entries in default_urls().items():
        rewritten[dataset] = []
        for e in entries:
            parts = urlsplit(e.url)
            rewritten[dataset].append(dataclasses.replace(e, url=f"{base}/{parts.netloc}{parts.path}"))
    return rewritten
