"""A tiny local HTTP server for fakes of services unreachable here (INMET's API and portal) and for
receivers the tests start (an alert webhook).

Routes map a path to a handler returning (status, headers, body) or a callable that
writes the response itself. Every request is recorded. Binds to 127.0.0.1 only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = tuple[int, dict[str, str], bytes]


class FakeServer:
    def __init__(self) -> None:
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], Reply | None]] = {}
        self.fallback: Callable[[BaseHTTPRequestHandler], Reply | None] | None = None
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes: without TCP_NODELAY (as nginx sets on
            # keep-alive) Nagle + delayed ACK hold each answer ~40 ms, an artefact of the fake
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                self.do_GET(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def do_GET(self, body: bytes = b"") -> None:
                with fake._lock:
                    fake.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "method": self.command, "body": body}
                    )
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    handler = fake.routes.get(self.path) or fake.fallback
                    reply = handler(self) if handler else (404, {"Content-Type": "text/html"}, b"<h1>404</h1>")
                    if reply is not None:
                        status, headers, body = reply
                        self.send_response(status)
                        for k, v in headers.items():
                            self.send_header(k, v)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeouts under test)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r["path"] == path)


def json_reply(body: bytes, status: int = 200) -> Callable:
    return lambda _h: (status, {"Content-Type": "application/json"}, body)


def sequence(*replies: Reply) -> Callable:
    """Answer with each reply in turn, then repeat the last."""
    state = {"i": 0}

    def handler(_h) -> Reply:
        reply = replies[min(state["i"], len(replies) - 1)]
        state["i"] += 1
        return reply

    return handler


def slow(reply: Reply, seconds: float) -> Callable:
    def handler(_h) -> Reply:
        time.sleep(seconds)
        return reply

    return handler
