"""API keys stay with their API: not sent along a cross-host redirect, never shown."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from pubtrack.sources.http import HttpClient, redact


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, dict[str, str]]] = []
    redirect_to = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        type(self).seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        if self.redirect_to and self.path.startswith("/start"):
            self.send_response(307)
            self.send_header("Location", self.redirect_to + "/landed?api_key=KEYVALUE123&x=1")
            self.end_headers()
            return
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(handler: type) -> tuple[http.server.HTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def two_hosts() -> Iterator[tuple[str, type, type]]:
    class Origin(_Recorder):
        seen: list = []

    class Other(_Recorder):
        seen: list = []

    other, other_addr = _serve(Other)
    # "localhost" and "127.0.0.1" are different hosts to requests.
    Origin.redirect_to = f"http://localhost:{other_addr.split(':')[1]}"
    origin, origin_addr = _serve(Origin)
    try:
        yield f"http://{origin_addr}", Origin, Other
    finally:
        origin.shutdown()
        other.shutdown()


def test_key_header_is_not_sent_to_another_host(two_hosts) -> None:  # type: ignore[no-untyped-def]
    base, origin, other = two_hosts
    http = HttpClient(sleep=lambda s: None)
    response = http.request(
        "semantic_scholar",
        "GET",
        f"{base}/start",
        params={"api_key": "KEYVALUE123"},
        headers={"x-api-key": "KEYVALUE123", "Authorization": "Bearer KEYVALUE123"},
        min_interval=0,
    )
    assert response.status == 200
    [(_, first)] = origin.seen
    assert first["x-api-key"] == "KEYVALUE123"  # the API itself gets its key
    [(path, headers)] = other.seen
    assert "x-api-key" not in headers and "authorization" not in headers
    assert "KEYVALUE123" not in path and "x=1" in path


def test_same_host_redirect_keeps_the_key(two_hosts) -> None:  # type: ignore[no-untyped-def]
    base, origin, _ = two_hosts
    origin.redirect_to = base
    http = HttpClient(sleep=lambda s: None)
    http.request(
        "semantic_scholar", "GET", f"{base}/start", headers={"x-api-key": "K1234"}, min_interval=0
    )
    assert [h.get("x-api-key") for _, h in origin.seen] == ["K1234", "K1234"]


@pytest.mark.parametrize(
    "secret", ["abc/def+ghi==", "key with space", 'quo"te\\slash', "new\nline-key", "ünï-cødé-key"]
)
def test_a_key_is_redacted_in_every_spelling(secret: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import quote, quote_plus

    monkeypatch.setenv("S2_API_KEY", secret)
    for shown in (
        secret,
        repr(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        secret.encode("unicode_escape").decode(),
        f"https://h/x?api_key={quote(secret)}&y=1",
    ):
        text = redact(f"failed: {shown} (more)")
        assert secret not in text and shown not in text, (shown, text)
        assert "***" in text
