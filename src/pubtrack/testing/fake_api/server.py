"""The threaded HTTP server on 127.0.0.1: routing, rate limits, counts, the fault
queue, the control API, and ``python -m pubtrack.testing.fake_api``."""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pubtrack.identity import normalize_doi, split_arxiv_id, title_similarity
from pubtrack.testing.fake_api.catalogue import (
    API_ENV,
    API_NAMES,
    API_PREFIXES,
    DEFAULT_INTERVALS,
    LIMIT_WINDOWS,
    Catalogue,
    FakePaper,
    FakePerson,
    builtin_apis,
    make_owner_catalogue,
    make_papers,
    write_bib,
)
from pubtrack.testing.fake_api.faults import ADVERSARIAL, Fault, RequestRecord, _other, lie
from pubtrack.testing.fake_api.responses import (
    S2_FIELDS,
    S2_TOO_MANY,
    _dblp_key,
    arxiv_entry,
    arxiv_error_feed,
    arxiv_feed,
    crossref_message,
    dblp_person_xml,
    openalex_work,
    orcid_full_work,
    orcid_works_body,
    s2_paper,
)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeApiServer


class FakeApiServer:
    """The fake APIs on 127.0.0.1; start with ``with`` or ``start()``/``stop()``."""

    def __init__(
        self,
        papers: Iterable[FakePaper] | Catalogue = (),
        *,
        port: int = 0,
        time_scale: float = 1.0,
        intervals: dict[str, float] | None = None,
        enforce_limits: bool = True,
        s2_api_key: str | None = None,
        s2_keyless_429: float = 0.0,
        openalex_api_key: str | None = None,
        openalex_requires_key: bool = True,
        seed: int = 0,
        tolerance: float = 0.002,
    ) -> None:
        missing = unsupported_apis()
        if missing:
            raise RuntimeError(
                "the fake API server cannot speak the registered API(s) "
                f"{', '.join(missing)}: give each a handler (EXTRA_HANDLERS or _answer) and "
                "its real limit (DEFAULT_INTERVALS, LIMIT_WINDOWS) in pubtrack.testing.fake_api"
            )
        self.catalogue = papers if isinstance(papers, Catalogue) else Catalogue(papers)
        self.port = port
        self.time_scale = time_scale
        base = dict(DEFAULT_INTERVALS, **(intervals or {}))
        self.intervals = {name: base[name] * time_scale for name in API_NAMES}
        # (requests allowed, per window seconds), scaled
        self.limits = {
            name: (
                max(1, round(LIMIT_WINDOWS[name] / base[name])),
                max(LIMIT_WINDOWS[name], base[name]) * time_scale,
            )
            for name in API_NAMES
        }
        self.enforce_limits = enforce_limits
        self.s2_api_key = s2_api_key
        self.s2_keyless_429 = s2_keyless_429
        self.openalex_api_key = openalex_api_key
        self.openalex_requires_key = openalex_requires_key
        # Arrival jitter the limits forgive (seconds): a client that keeps the
        # interval between its request starts must never see a 429.
        self.tolerance = tolerance
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._faults: dict[str, deque[Fault]] = {name: deque() for name in API_NAMES}
        self._arrivals: dict[str, deque[float]] = {name: deque() for name in API_NAMES}
        self._active: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.request_counts: Counter[str] = Counter()
        self.endpoint_counts: Counter[str] = Counter()
        self.status_counts: Counter[tuple[str, int]] = Counter()
        self.log: list[RequestRecord] = []

    # -- lifecycle --------------------------------------------------------
    def start(self) -> FakeApiServer:
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", self.port), _Handler)
        self._httpd.fake = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api_url(self, api: str) -> str:
        return self.url + API_PREFIXES[_api_name(api)]

    def env(self) -> dict[str, str]:
        """The PUBTRACK_*_API_URL variables that point pubtrack at this server."""
        return {API_ENV[name]: self.api_url(name) for name in API_NAMES}

    # -- faults and counts --------------------------------------------------
    def inject(self, api: str, kind: str, times: int | None = 1, **options: Any) -> Fault:
        """Queue a fault for the next ``times`` requests of ``api`` (None: until cleared)."""
        api = _api_name(api)
        fault = Fault(kind, times=times, **options)
        with self._lock:
            self._faults[api].append(fault)
        return fault

    def clear_faults(self, api: str | None = None) -> None:
        with self._lock:
            for name in [_api_name(api)] if api else API_NAMES:
                self._faults[name].clear()

    def _next_fault(self, api: str) -> Fault | None:
        with self._lock:
            queue = self._faults[api]
            while queue:
                fault = queue[0]
                if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                    return None
                if fault.times is None:
                    return fault
                if fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        queue.popleft()
                    return fault
                queue.popleft()
            return None

    def reset_counts(self) -> None:
        with self._lock:
            self.request_counts.clear()
            self.endpoint_counts.clear()
            self.status_counts.clear()
            self.log.clear()

    def count(self, api: str, status: int | None = None) -> int:
        """Requests to ``api`` (answered with ``status``, if given)."""
        api = _api_name(api)
        if status is None:
            return self.request_counts[api]
        return self.status_counts[(api, status)]

    def set_citations(self, counts: dict[str, int] | None = None, *, bump: int = 0) -> int:
        return self.catalogue.set_citations(counts, bump=bump)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.request_counts),
                "endpoints": dict(self.endpoint_counts),
                "statuses": {
                    api: {str(s): n for (a, s), n in self.status_counts.items() if a == api}
                    for api in API_NAMES
                },
                "log": [asdict(r) for r in self.log],
            }

    # -- rate limits ------------------------------------------------------
    def _too_fast(self, api: str, now: float) -> bool:
        """Record an arrival; True when the window before it already held the limit.

        Every request counts, refused ones too (as with the real services).
        """
        allowed, window = self.limits[api]
        with self._lock:
            arrivals = self._arrivals[api]
            while arrivals and arrivals[0] <= now - window + self.tolerance:
                arrivals.popleft()
            full = len(arrivals) >= allowed
            arrivals.append(now)
        return self.enforce_limits and full


def _api_name(api: str) -> str:
    aliases = {"s2": "semantic_scholar", "semanticscholar": "semantic_scholar"}
    name = aliases.get(api, api)
    if name not in API_NAMES:
        raise ValueError(f"unknown API {api!r} (known: {', '.join(API_NAMES)})")
    return name


_COUNT_FIELDS = frozenset(
    {"citationCount", "influentialCitationCount", "cited_by_count", "is-referenced-by-count"}
)


def _zeroed(obj: Any) -> Any:
    """A JSON answer with every citation count 0 (a source answering zeros, e.g. blocked)."""
    if isinstance(obj, dict):
        return {
            k: 0 if k in _COUNT_FIELDS and isinstance(v, int) else _zeroed(v)
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_zeroed(v) for v in obj]
    return obj


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: _HTTPServer
    server_version = "FakeApi/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    @property
    def fake(self) -> FakeApiServer:
        return self.server.fake

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing -----------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes | str,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self._finish(status)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        if getattr(self, "zero_counts", False):
            obj = _zeroed(obj)
        adversary = getattr(self, "_adversary", None)
        current = getattr(self, "_current", None)
        if adversary and status == 200 and current is not None:
            obj = lie(current[0], adversary, obj, self.fake.catalogue)
        self._send(status, json.dumps(obj), "application/json", headers)

    def _drop(self, reset: bool) -> None:
        """Close the connection without an answer (RST when ``reset``)."""
        self.close_connection = True
        try:
            if reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if path.startswith("/_control/"):
            self._control(method, path, parts.query)
            return
        api = next((n for n, p in API_PREFIXES.items() if path.startswith(p)), None)
        if api is None:
            self._json(404, {"error": f"no fake API at {path}"})
            return
        fake = self.fake
        now = time.monotonic()
        body = self._body() if method == "POST" else b""
        record = RequestRecord(
            api=api,
            method=method,
            path=path[len(API_PREFIXES[api]) :] or "/",
            query=parts.query,
            time=now,
            user_agent=self.headers.get("User-Agent", ""),
            api_key=bool(self.headers.get("x-api-key") or "api_key=" in parts.query),
        )
        with fake._lock:
            fake.request_counts[api] += 1
            fake.endpoint_counts[f"{api} {method} {_endpoint(api, record.path)}"] += 1
            fake.log.append(record)
        too_fast = fake._too_fast(api, now)
        with fake._lock:
            fake._active[api] += 1
            concurrent = fake._active[api] > 1
        self._current: tuple[str, RequestRecord] | None = (api, record)
        try:
            self._answer(api, method, record, parts.query, body, too_fast, concurrent)
        finally:
            self._finish(0)

    def _finish(self, status: int) -> None:
        """Account for the answer BEFORE its last bytes go out: the client may send
        its next request the moment it has read them."""
        current = getattr(self, "_current", None)
        if current is None:
            return
        self._current = None
        api, record = current
        fake = self.fake
        with fake._lock:
            fake._active[api] -= 1
            record.status = status
            if status:
                fake.status_counts[(api, status)] += 1

    def _answer(
        self,
        api: str,
        method: str,
        record: RequestRecord,
        query: str,
        body: bytes,
        too_fast: bool,
        concurrent: bool,
    ) -> int:
        fake = self.fake
        self.zero_counts = False  # per request (a kept-alive handler serves several)
        fault = fake._next_fault(api)
        self._adversary: str | None = None
        if fault is not None:
            record.fault = fault.kind
            if fault.kind in ADVERSARIAL:
                self._adversary = fault.kind  # the normal answer, then made to lie
            else:
                done = self._fault(api, fault, query)
                if done is not None:
                    return done
        if api == "arxiv" and concurrent and fake.enforce_limits:
            self._send(503, "Rate exceeded.\n", "text/plain")
            return 503
        if too_fast:
            return self._rate_limited(api)
        params = parse_qs(query, keep_blank_values=True)
        extra = EXTRA_HANDLERS.get((api, _endpoint(api, record.path)))
        if extra is not None:
            return extra(self, record, params)
        if api == "semantic_scholar":
            return self._s2(method, record, params, body)
        if api == "arxiv":
            return self._arxiv(record, params, query)
        if api == "openalex":
            return self._openalex(record, params)
        if api == "crossref":
            return self._crossref(record, params)
        self._json(404, {"error": f"no fake {api} endpoint at {record.path}"})
        return 404

    def _rate_limited(self, api: str) -> int:
        if api == "semantic_scholar":
            self._json(429, {"message": S2_TOO_MANY, "code": "429"})
        elif api == "arxiv":
            self._send(429, "Rate exceeded.\n", "text/plain")
        elif api == "openalex":
            self._json(429, {"error": "Too Many Requests", "message": "Rate limit exceeded"})
        elif api == "dblp":
            self._send(429, "Too Many Requests\n", "text/plain", {"Retry-After": "1"})
        else:
            self._send(429, "Too Many Requests\n", "text/plain")
        return 429

    def _fault(self, api: str, fault: Fault, query: str) -> int | None:
        """Apply a fault; the status sent (0: none), or None to answer normally after all."""
        kind = fault.kind
        if kind == "down":
            self._drop(reset=False)
            return 0
        if kind == "reset":
            self._drop(reset=True)
            return 0
        if kind == "slow":
            self.fake._stopping.wait(fault.delay)
            return None  # then the normal answer (if the client still waits)
        if kind == "zero_counts":
            self.zero_counts = True  # the normal answer, every citation count 0
            return None
        if kind == "429":
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            if api == "semantic_scholar":
                self._json(429, {"message": S2_TOO_MANY, "code": "429"}, headers)
            else:
                self._send(429, "Too Many Requests\n", "text/plain", headers)
            return 429
        if kind == "status":
            if api in ("semantic_scholar", "openalex"):
                self._json(fault.status, {"error": "Internal Server Error"})
            else:
                self._send(fault.status, "<html><body>Server Error</body></html>", "text/html")
            return fault.status
        if kind == "truncate":
            data = b'{"data": [' + b'{"paperId": "x"}, ' * 50 + b"]}"
            if api == "arxiv":
                data = arxiv_feed([], "id_list=", 0, 100).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data) + 500))
            self._finish(200)
            self.end_headers()
            try:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
            except OSError:
                pass
            self._drop(reset=False)
            return 200
        if kind == "malformed":
            if api == "arxiv":
                self._send(200, "<?xml version='1.0'?><feed><entry><id>", "application/atom+xml")
            else:
                self._send(200, '{"data": [{"paperId": ', "application/json")
            return 200
        if kind == "redirect":
            target = f"http://localhost:{self.fake.port}{self.path}"
            self._send(307, "", "text/plain", {"Location": target})
            return 307
        if kind == "error_feed":
            ids = parse_qs(query).get("id_list", [""])[0].split(",")
            self._send(400, arxiv_error_feed(fault.bad_id or ids[0]), "application/atom+xml")
            return 400
        return None

    # -- the APIs -------------------------------------------------------------
    def _s2(
        self, method: str, record: RequestRecord, params: dict[str, list[str]], body: bytes
    ) -> int:
        fake = self.fake
        key = self.headers.get("x-api-key")
        if fake.s2_api_key is not None and key is not None and key != fake.s2_api_key:
            self._json(403, {"message": "Forbidden"})
            return 403
        if key is None and fake.s2_keyless_429 and fake._rng.random() < fake.s2_keyless_429:
            return self._rate_limited("semantic_scholar")
        fields = [f for f in ",".join(params.get("fields", [])).split(",") if f]
        unknown = [f for f in fields if f not in S2_FIELDS]
        if unknown:
            self._json(
                400, {"error": f"Unrecognized or unsupported fields: [{', '.join(unknown)}]"}
            )
            return 400
        path = record.path
        if method == "POST" and path == "/paper/batch":
            try:
                ids = json.loads(body or b"{}").get("ids")
            except (ValueError, AttributeError):
                ids = None
            if not isinstance(ids, list):
                self._json(400, {"error": "Body must be JSON with an 'ids' array"})
                return 400
            record.ids = len(ids)
            if len(ids) > 500:
                self._json(400, {"error": "Cannot exceed 500 ids per request"})
                return 400
            out = []
            for ident in ids:
                paper = self._s2_lookup(str(ident))
                out.append(s2_paper(paper, fields) if paper else None)
            self._json(200, out)
            return 200
        if method == "GET" and path == "/paper/search/match":
            query = params.get("query", [""])[0]
            record.ids = 1
            found = fake.catalogue.best_title_match(query) if query else None
            if found is None:
                self._json(404, {"error": "Title match not found"})
                return 404
            paper, score = found
            match = s2_paper(paper, fields)
            match["matchScore"] = round(50 + 60 * score, 5)
            self._json(200, {"data": [match]})
            return 200
        if method == "GET" and path.startswith("/paper/"):
            ident = path[len("/paper/") :]
            paper = self._s2_lookup(ident)
            if paper is None:
                self._json(404, {"error": f"Paper with id {ident} not found"})
                return 404
            self._json(200, s2_paper(paper, fields))
            return 200
        self._json(404, {"error": "Not found"})
        return 404

    def _s2_lookup(self, ident: str) -> FakePaper | None:
        catalogue = self.fake.catalogue
        prefix, sep, value = ident.partition(":")
        if sep:
            kind = prefix.upper()
            if kind == "ARXIV":
                parts = split_arxiv_id(value)
                return catalogue.by_arxiv(parts[0]) if parts else None
            if kind == "DOI":
                return catalogue.by_doi(value)
            if kind == "CORPUSID":
                return catalogue.by_corpus(value)
            return None
        if re.fullmatch(r"[0-9a-fA-F]{40}", ident):
            return catalogue.by_s2(ident)
        if ident.startswith("10."):
            return catalogue.by_doi(ident)
        return None

    def _arxiv(self, record: RequestRecord, params: dict[str, list[str]], query: str) -> int:
        raw = params.get("id_list", [""])[0]
        ids = [i.strip() for i in raw.split(",") if i.strip()]
        record.ids = len(ids)
        try:
            max_results = int(params.get("max_results", ["10"])[0])
        except ValueError:
            max_results = 10
        for ident in ids:
            if split_arxiv_id(ident) is None or ident.lower().startswith(("arxiv:", "http")):
                self._send(400, arxiv_error_feed(ident), "application/atom+xml")
                return 400
        entries = []
        for ident in ids:
            arxiv_id, version = split_arxiv_id(ident) or (ident, None)
            paper = self.fake.catalogue.by_arxiv(arxiv_id)
            if paper is None or (version is not None and version > paper.arxiv_version):
                continue
            if getattr(self, "_adversary", None) == "other_paper":
                other = _other(self.fake.catalogue, paper)
                paper = replace(other, arxiv_id=paper.arxiv_id, arxiv_version=paper.arxiv_version)
            entries.append(arxiv_entry(paper, version))
        total = len(entries)
        shown = entries[: max(0, min(max_results, 2000))]
        feed_query = f"search_query=&id_list={raw}&start=0&max_results={max_results}"
        self._send(
            200,
            arxiv_feed(shown, feed_query, total, max_results),
            "application/atom+xml; charset=utf-8",
        )
        return 200

    def _openalex(self, record: RequestRecord, params: dict[str, list[str]]) -> int:
        fake = self.fake
        key = params.get("api_key", [""])[0]
        if fake.openalex_requires_key and not key:
            self._json(
                401,
                {"error": "API key required", "message": "Add api_key=YOUR_KEY to the request."},
            )
            return 401
        if fake.openalex_api_key is not None and key and key != fake.openalex_api_key:
            self._json(403, {"error": "Invalid API key", "message": "The api_key is not valid."})
            return 403
        if record.path.rstrip("/") != "/works":
            self._json(404, {"error": "Not found"})
            return 404
        try:
            per_page = int(params.get("per_page", ["25"])[0])
        except ValueError:
            per_page = -1
        if not 1 <= per_page <= 100:
            self._json(
                400,
                {
                    "error": "Invalid query parameters error.",
                    "message": "per-page parameter must be between 1 and 100",
                },
            )
            return 400
        results: list[dict[str, Any]] = []
        seen: set[str] = set()
        values: list[str] = []
        openalex_ids: list[str] = []
        for clause in ",".join(params.get("filter", [])).split(","):
            name, _, value = clause.partition(":")
            if name.strip() == "doi":
                values += [v for v in value.split("|") if v]
            elif name.strip() in ("ids.openalex", "openalex"):
                openalex_ids += [v for v in value.split("|") if v]
        values += [f"openalex:{v.rsplit('/', 1)[-1].upper()}" for v in openalex_ids]
        record.ids = len(values)
        if len(values) > 100:
            self._json(
                400,
                {
                    "error": "Invalid query parameters error.",
                    "message": "Maximum of 100 values in an OR filter.",
                },
            )
            return 400
        for value in values:
            if value.startswith("openalex:"):
                paper = fake.catalogue.by_any(value[len("openalex:") :])
                if paper is not None:
                    work = openalex_work(paper)
                    if work["id"] not in seen:
                        seen.add(work["id"])
                        results.append(work)
                continue
            doi = normalize_doi(value)
            paper = fake.catalogue.by_doi(doi) if doi else None
            if paper is None:
                continue
            arxiv_doi = bool(doi and doi.startswith("10.48550/arxiv."))
            if arxiv_doi and paper.doi and not paper.openalex_merged:
                continue  # OpenAlex keeps only the journal work for this one
            work = openalex_work(paper)
            if work["id"] not in seen:
                seen.add(work["id"])
                results.append(work)
        page = results[:per_page]
        self._json(
            200,
            {
                "meta": {
                    "count": len(results),
                    "db_response_time_ms": 12,
                    "page": 1,
                    "per_page": per_page,
                    "groups_count": None,
                },
                "results": page,
                "group_by": [],
            },
        )
        return 200

    def _crossref(self, record: RequestRecord, params: dict[str, list[str]]) -> int:
        path = record.path
        if not path.startswith("/works/"):
            self._send(404, "Resource not found.", "text/plain")
            return 404
        record.ids = 1
        doi = path[len("/works/") :]
        paper = self.fake.catalogue.by_doi(doi)
        if paper is None or paper.doi is None or (normalize_doi(doi) or "") != paper.doi.lower():
            self._send(404, "Resource not found.", "text/plain")
            return 404
        self._json(200, crossref_message(paper))
        return 200

    # -- control ------------------------------------------------------------
    def _control(self, method: str, path: str, query: str) -> None:
        fake = self.fake
        body = self._body() if method == "POST" else b""
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            self._json(400, {"error": "invalid JSON"})
            return
        try:
            if path == "/_control/stats" and method == "GET":
                self._json(200, fake.stats())
            elif path == "/_control/faults" and method == "POST":
                items = payload if isinstance(payload, list) else [payload]
                for item in items:
                    item = dict(item)
                    fake.inject(item.pop("api"), item.pop("kind"), **item)
                self._json(200, {"ok": True, "queued": len(items)})
            elif path == "/_control/faults" and method == "DELETE":
                api = parse_qs(query).get("api", [None])[0]
                fake.clear_faults(api)
                self._json(200, {"ok": True})
            elif path == "/_control/citations" and method == "POST":
                changed = fake.set_citations(
                    payload.get("counts"), bump=int(payload.get("bump", 0))
                )
                self._json(200, {"ok": True, "changed": changed})
            elif path == "/_control/reset" and method == "POST":
                fake.reset_counts()
                fake.clear_faults()
                self._json(200, {"ok": True})
            else:
                self._json(404, {"error": f"unknown control {method} {path}"})
        except (KeyError, TypeError, ValueError) as exc:
            self._json(400, {"error": str(exc)})


def _endpoint(api: str, path: str) -> str:
    """The endpoint a path belongs to, for counts ('/paper/{id}', '/works/{doi}')."""
    extra = _extra_endpoint(api, path)
    if extra:
        return extra
    if api == "semantic_scholar":
        if path in ("/paper/batch", "/paper/search/match"):
            return path
        return "/paper/{id}" if path.startswith("/paper/") else path
    if api == "crossref":
        return "/works/{doi}" if path.startswith("/works/") else path
    if api == "openalex":
        return "/works" if path.rstrip("/") == "/works" else path
    return "/query"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pubtrack.testing.fake_api",
        description=f"Fake {', '.join(c.label for c in builtin_apis())} APIs on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--papers", type=int, default=20, help="synthetic papers in the catalogue")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="e.g. 0.01: limits 100x shorter"
    )
    parser.add_argument("--bib", help="also write a .bib file for the papers here")
    parser.add_argument("--no-limits", action="store_true", help="do not enforce rate limits")
    parser.add_argument("--s2-keyless-429", type=float, default=0.0, help="chance of a random 429")
    parser.add_argument("--openalex-key", default=None, help="the only api_key OpenAlex accepts")
    parser.add_argument(
        "--owner",
        type=int,
        default=0,
        help="N: a catalogue with an owner of N works and profiles (see make_owner_catalogue)",
    )
    args = parser.parse_args(argv)

    papers: Any = make_papers(args.papers, seed=args.seed)
    if args.owner:
        papers = make_owner_catalogue(args.owner, seed=args.seed)
    if args.bib:
        write_bib(papers.papers if isinstance(papers, Catalogue) else papers, args.bib)
    server = FakeApiServer(
        papers,
        port=args.port,
        time_scale=args.time_scale,
        enforce_limits=not args.no_limits,
        s2_keyless_429=args.s2_keyless_429,
        openalex_api_key=args.openalex_key,
        seed=args.seed,
    )
    # The handler goes in before the first line is printed: a caller that reads
    # the URL and stops the server at once must not find the default (kill) action.
    import signal

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(server.url, flush=True)
    for name, value in server.env().items():
        print(f"{name}={value}", flush=True)
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def iter_records(server: FakeApiServer, api: str) -> Iterator[RequestRecord]:
    """The logged requests of one API, in arrival order."""
    name = _api_name(api)
    return (r for r in list(server.log) if r.api == name)


def _people(server: FakeApiServer) -> list[FakePerson]:
    return getattr(server.catalogue, "people", [])


def _person(server: FakeApiServer, kind: str, value: str) -> FakePerson | None:
    for person in _people(server):
        if value and getattr(person, kind).lower() == value.lower():
            return person
    return None


def _extra_endpoint(api: str, path: str) -> str | None:
    if api == "semantic_scholar":
        if path == "/paper/search":
            return path
        if re.fullmatch(r"/author/[^/]+/papers", path):
            return "/author/{id}/papers"
    if api == "openalex" and re.fullmatch(r"/works/W\d+P?", path):
        return "/works/{id}"
    if api == "openalex" and re.fullmatch(r"/authors/A\d+", path):
        return "/authors/{id}"
    if api == "openalex" and path.rstrip("/") == "/works":
        return None
    if api == "crossref" and path.rstrip("/") == "/works":
        return "/works?filter"
    if api == "orcid":
        match = re.fullmatch(r"/[\dX-]+/(works|person)", path)
        if re.fullmatch(r"/[\dX-]+/works/[\d,]+", path):
            return "/{orcid}/works/{put-codes}"
        return f"/{{orcid}}/{match.group(1)}" if match else "/{orcid}/?"
    if api == "dblp":
        if path.startswith("/pid/"):
            return "/pid/{pid}.xml"
        if path.startswith("/rec/"):
            return "/rec/{key}.bib"
        return "/?"
    if api == "datacite":
        return "/dois/{doi}"
    return None


def _s2_fields(params: dict[str, list[str]]) -> list[str]:
    return [f for f in ",".join(params.get("fields", [])).split(",") if f] or ["title"]


def _h_s2_search(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    query = params.get("query", [""])[0]
    limit = int(params.get("limit", ["10"])[0] or 10)
    scored = sorted(
        ((title_similarity(query, p.title), p) for p in h.fake.catalogue.papers),
        key=lambda sp: -sp[0],
    )
    hits = [p for score, p in scored if score >= 0.5][:limit]
    fields = _s2_fields(params)
    h._json(200, {"total": len(hits), "offset": 0, "data": [s2_paper(p, fields) for p in hits]})
    return 200


def _h_s2_author_papers(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    author_id = record.path.split("/")[2]
    person = _person(h.fake, "s2_id", author_id)
    if person is None:
        h._json(404, {"error": "Author not found"})
        return 404
    offset = int(params.get("offset", ["0"])[0] or 0)
    limit = min(1000, int(params.get("limit", ["100"])[0] or 100))
    papers = person.s2_papers[offset : offset + limit]
    body: dict[str, Any] = {
        "offset": offset,
        "data": [s2_paper(p, _s2_fields(params)) for p in papers],
    }
    if offset + limit < len(person.s2_papers):
        body["next"] = offset + limit
    h._json(200, body)
    return 200


def _h_openalex_work(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    if h.fake.openalex_requires_key and not params.get("api_key", [""])[0]:
        h._json(401, {"error": "API key required", "message": "Add api_key=YOUR_KEY."})
        return 401
    ident = record.path.rsplit("/", 1)[1]
    paper = h.fake.catalogue.by_any(ident.rstrip("P"))
    if paper is None:
        h._json(404, {"error": "Not found"})
        return 404
    h._json(200, openalex_work(paper, as_preprint=ident.endswith("P")))
    return 200


OPENALEX_PAGE_CURSORS = "page-"


def openalex_author_page(h: _Handler, params: dict[str, list[str]], author_id: str) -> int:
    person = _person(h.fake, "openalex_id", author_id)
    # OpenAlex keeps a preprint apart from its journal version unless it merged them:
    # the profile lists both (the dedupe must make them one work).
    listed: list[tuple[FakePaper, bool]] = []
    for paper in person.openalex_papers if person else []:
        listed.append((paper, not paper.doi))
        if paper.doi and paper.arxiv_id and not paper.openalex_merged:
            listed.append((paper, True))
    papers = listed
    per_page = int(params.get("per_page", ["25"])[0] or 25)
    cursor = params.get("cursor", [""])[0]
    start = 0
    if cursor and cursor != "*":
        if not cursor.startswith(OPENALEX_PAGE_CURSORS):
            h._json(400, {"error": "Invalid cursor", "message": "cursor is not valid"})
            return 400
        start = int(cursor[len(OPENALEX_PAGE_CURSORS) :])
    page = papers[start : start + per_page]
    nxt = f"{OPENALEX_PAGE_CURSORS}{start + per_page}" if cursor and page else None
    h._json(
        200,
        {
            "meta": {
                "count": len(papers),
                "db_response_time_ms": 9,
                "page": None if cursor else 1,
                "per_page": per_page,
                "next_cursor": nxt,
                "groups_count": None,
            },
            "results": [openalex_work(p, as_preprint=pre) for p, pre in page],
            "group_by": [],
        },
    )
    return 200


def _h_crossref_filter(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    dois = []
    for clause in ",".join(params.get("filter", [])).split(","):
        name, _, value = clause.partition(":")
        if name.strip() != "doi":
            h._json(400, {"status": "failed", "message": [{"type": "validation-failure"}]})
            return 400
        dois.append(value)
    record.ids = len(dois)
    items = []
    for doi in dois:
        paper = h.fake.catalogue.by_doi(doi)
        if paper is not None and paper.doi and paper.doi.lower() == (normalize_doi(doi) or ""):
            items.append(crossref_message(paper)["message"])
    h._json(
        200,
        {
            "status": "ok",
            "message-type": "work-list",
            "message": {"total-results": len(items), "items": items, "items-per-page": len(items)},
        },
    )
    return 200


def _h_orcid(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    _, orcid, what = record.path.split("/", 2)
    if "json" not in h.headers.get("Accept", ""):
        # Like ORCID: XML unless the client asks for JSON.
        h._send(200, '<?xml version="1.0"?><activities:works/>', "application/vnd.orcid+xml")
        return 200
    person = _person(h.fake, "orcid", orcid)
    if person is None:
        h._json(
            404,
            {
                "response-code": 404,
                "developer-message": f"404 Not Found: The resource was not found. Full validation "
                f"error: ORCID iD {orcid} not found",
                "user-message": "The resource was not found.",
                "error-code": 9016,
            },
        )
        return 404
    if what.startswith("works/"):
        items = []
        for code in what[len("works/") :].split(","):
            work = orcid_full_work(person, int(code)) if code.isdigit() else None
            if work is None:
                items.append(
                    {
                        "error": {
                            "response-code": 400,
                            "developer-message": f"400 Bad Request: '{code}' is not a valid "
                            "put code",
                            "error-code": 9034,
                        }
                    }
                )
            else:
                items.append({"work": work})
        h._json(200, {"bulk": items})
        return 200
    if what == "person":
        h._json(
            200,
            {
                "name": {
                    "given-names": {"value": person.given},
                    "family-name": {"value": person.family},
                    "credit-name": None,
                },
                "path": f"/{orcid}/person",
            },
        )
        return 200
    h._json(200, orcid_works_body(person))
    return 200


def _h_dblp(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    path = record.path
    if path.startswith("/pid/") and path.endswith(".xml"):
        person = _person(h.fake, "dblp_pid", path[len("/pid/") : -len(".xml")])
        if person is None:
            h._send(404, "<html>Not Found</html>", "text/html")
            return 404
        h._send(
            200, dblp_person_xml(person).encode("ascii", "xmlcharrefreplace"), "application/xml"
        )
        return 200
    if path.startswith("/rec/") and path.endswith(".bib"):
        key = path[len("/rec/") : -len(".bib")]
        paper = next((p for p in h.fake.catalogue.papers if _dblp_key(p) == key), None)
        if paper is None:
            h._send(404, "<html>Not Found</html>", "text/html")
            return 404
        authors = " and\n                  ".join(paper.authors)
        fields = [("author", authors), ("title", paper.title), ("journal", paper.venue or "CoRR")]
        if paper.volume:
            fields.append(("volume", paper.volume))
        if paper.pages:
            fields.append(("pages", paper.pages.replace("-", "--")))
        fields.append(("year", str(paper.year)))
        if paper.doi:
            fields.append(("doi", paper.doi))
        if paper.arxiv_id:
            fields += [("eprinttype", "arXiv"), ("eprint", paper.arxiv_id)]
        body = ",\n".join(f"  {n:<12} = {{{v}}}" for n, v in fields)
        h._send(200, f"@article{{DBLP:{key},\n{body}\n}}\n", "application/x-bibtex")
        return 200
    h._send(404, "<html>Not Found</html>", "text/html")
    return 404


def _h_datacite(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    doi = record.path[len("/dois/") :] if record.path.startswith("/dois/") else ""
    value = normalize_doi(doi) or ""
    paper = h.fake.catalogue.by_doi(value) if value.startswith("10.48550/arxiv.") else None
    if paper is None:
        h._json(
            404,
            {
                "errors": [
                    {"status": "404", "title": "The resource you are looking for doesn't exist."}
                ]
            },
        )
        return 404
    creators = []
    for name in paper.authors:
        given, _, family = name.rpartition(" ")
        creators.append(
            {
                "name": f"{family}, {given}",
                "nameType": "Personal",
                "givenName": given,
                "familyName": family,
                "affiliation": [],
                "nameIdentifiers": [],
            }
        )
    month = (paper.published or f"{paper.year}-01")[:7]
    attrs = {
        "doi": value,
        "identifiers": [{"identifier": paper.arxiv_id, "identifierType": "arXiv"}],
        "creators": creators,
        "titles": [{"title": paper.title}],
        "publisher": "arXiv",
        "publicationYear": paper.year,
        "types": {"resourceTypeGeneral": "Preprint", "bibtex": "misc"},
        "relatedIdentifiers": (
            [
                {
                    "relationType": "IsPreviousVersionOf",
                    "relatedIdentifier": paper.doi,
                    "relatedIdentifierType": "DOI",
                }
            ]
            if paper.doi
            else []
        ),
        "dates": [{"date": month, "dateType": "Available", "dateInformation": "v1"}],
        "url": f"https://arxiv.org/abs/{paper.arxiv_id}",
    }
    h._json(200, {"data": {"id": value, "type": "dois", "attributes": attrs}})
    return 200


def _h_openalex_works(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    for clause in ",".join(params.get("filter", [])).split(","):
        name, _, value = clause.partition(":")
        if name.strip() == "author.id":
            if h.fake.openalex_requires_key and not params.get("api_key", [""])[0]:
                h._json(401, {"error": "API key required", "message": "Add api_key=YOUR_KEY."})
                return 401
            return openalex_author_page(h, params, value.rsplit("/", 1)[-1])
    return h._openalex(record, params)


def _h_openalex_author(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    if h.fake.openalex_requires_key and not params.get("api_key", [""])[0]:
        h._json(401, {"error": "API key required", "message": "Add api_key=YOUR_KEY."})
        return 401
    ident = record.path.rsplit("/", 1)[1]
    person = _person(h.fake, "openalex_id", ident)
    if person is None:
        h._json(404, {"error": "Not found"})
        return 404
    h._json(
        200,
        {
            "id": f"https://openalex.org/{ident}",
            "orcid": f"https://orcid.org/{person.orcid}" if person.orcid else None,
            "display_name": person.name,
            "display_name_alternatives": [person.name],
            "works_count": len(person.openalex_papers),
            "ids": {"openalex": f"https://openalex.org/{ident}"},
            "works_api_url": f"https://api.openalex.org/works?filter=author.id:{ident}",
        },
    )
    return 200


EXTRA_HANDLERS: dict[tuple[str, str], Any] = {
    ("openalex", "/authors/{id}"): _h_openalex_author,
    ("semantic_scholar", "/paper/search"): _h_s2_search,
    ("semantic_scholar", "/author/{id}/papers"): _h_s2_author_papers,
    ("openalex", "/works/{id}"): _h_openalex_work,
    ("openalex", "/works"): _h_openalex_works,
    ("crossref", "/works?filter"): _h_crossref_filter,
    ("orcid", "/{orcid}/works"): _h_orcid,
    ("orcid", "/{orcid}/person"): _h_orcid,
    ("orcid", "/{orcid}/works/{put-codes}"): _h_orcid,
    ("dblp", "/pid/{pid}.xml"): _h_dblp,
    ("dblp", "/rec/{key}.bib"): _h_dblp,
    ("datacite", "/dois/{doi}"): _h_datacite,
}

# The APIs _answer itself speaks (the others only through EXTRA_HANDLERS' endpoints).
_MAIN_HANDLERS = ("semantic_scholar", "arxiv", "openalex", "crossref")


def unsupported_apis(names: Iterable[str] | None = None) -> list[str]:
    """The registered built-in APIs (``API_NAMES``, from the registries) this fake has
    no handler or no rate limit for: a new built-in is listed here, and the server
    refuses to start, until the fake learns to speak it."""
    served = set(_MAIN_HANDLERS) | {api for api, _endpoint in EXTRA_HANDLERS}
    return [
        name
        for name in (API_NAMES if names is None else names)
        if name not in served or name not in DEFAULT_INTERVALS or name not in LIMIT_WINDOWS
    ]
