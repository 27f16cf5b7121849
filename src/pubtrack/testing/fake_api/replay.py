"""Replaying recorded answers (corpora/api cassettes) through a real socket."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorded:
    """One interaction of a VCR cassette."""

    method: str
    uri: str
    request_body: str
    status: int
    body: str


class ReplayServer:
    """Serves fixed answers by (method, path) on 127.0.0.1 and records the requests.

    A route's value is one ``Reply`` (always) or a list (one per request, the
    last one repeats). Used to run the real sources against recorded bodies.
    """

    def __init__(self, routes: dict[tuple[str, str], Reply | list[Reply]]) -> None:
        self.routes = {k: (v if isinstance(v, list) else [v]) for k, v in routes.items()}
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def __enter__(self) -> ReplayServer:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with replay._lock:
                    replay.requests.append(
                        {
                            "method": self.command,
                            "path": parts.path,
                            "query": parse_qs(parts.query, keep_blank_values=True),
                            "body": body.decode("utf-8", "replace"),
                            "headers": dict(self.headers),
                        }
                    )
                    queue = replay.routes.get((self.command, parts.path))
                    reply = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else None
                if reply is None:
                    reply = Reply(404, b'{"error": "no such route"}')
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = _any
            do_POST = _any

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def read_cassette(path: str | Path) -> list[Recorded]:
    """The interactions of a VCR cassette (VCR.py's ``interactions`` or Ruby VCR's
    ``http_interactions``), read with a YAML library."""
    import yaml  # test extra: only the tests replay cassettes

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    items = data.get("interactions") or data.get("http_interactions") or []
    out: list[Recorded] = []
    for item in items:
        request = item.get("request") or {}
        response = item.get("response") or {}
        status = response.get("status")
        if isinstance(status, dict):
            code = status.get("code", status.get("status_code"))
        else:
            code = response.get("status_code", status)
        body = response["body"] if "body" in response else response.get("content")
        out.append(
            Recorded(
                method=str(request.get("method") or "GET").upper(),
                uri=str(request.get("uri") or ""),
                request_body=_cassette_text(request.get("body")),
                status=int(code or 200),
                body=_cassette_text(body),
            )
        )
    return out


def _cassette_text(value: Any) -> str:
    """A body as recorded: a string, ``{string: ...}``, bytes, or nothing."""
    if isinstance(value, dict):
        value = value.get("string", "")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def read_arxiv_recording(path: str | Path) -> tuple[int, str, str]:
    """(status, url, body) of an arxiv.py JSON fixture (the body was stored as latin-1)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return int(data["status_code"]), str(data["url"]), data["body"].encode("latin-1").decode()
