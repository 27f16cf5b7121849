"""The HTTP layer: retries, back-off, Retry-After, budgets, rate limits, key redaction.

Most tests inject a fake clock/sleep so retries cost no real time; the fake
API server still answers over a real socket. A few tests use small real
delays on purpose (read timeouts, concurrent callers).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from conftest import FakeTime
from pubtrack import __version__
from pubtrack.config import Config, Owner, SourceSettings, SyncSettings
from pubtrack.errors import MalformedResponseError, RateLimitedError, SourceError
from pubtrack.sources.http import HttpClient, RateLimiter, parse_retry_after, redact
from pubtrack.testing.fake_api import FakeApiServer, make_papers


@pytest.fixture
def server():
    with FakeApiServer(make_papers(12), enforce_limits=False) as srv:
        yield srv


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def client(fake_time: FakeTime, config: Config | None = None, **options: float) -> HttpClient:
    return HttpClient(config, sleep=fake_time.sleep, clock=fake_time.clock, **options)


def s2_batch(http: HttpClient, server: FakeApiServer, ids: list[str]):
    return http.request(
        "semantic_scholar",
        "POST",
        server.api_url("semantic_scholar") + "/paper/batch",
        params={"fields": "title,citationCount"},
        json={"ids": ids},
    )


def test_three_failures_in_a_row_are_ridden_out_with_exponential_jittered_backoff(
    server, fake_time
):
    paper = server.catalogue.papers[0]
    server.inject("s2", "status", times=3, status=503)
    http = client(fake_time, backoff_base=2.0)
    response = s2_batch(http, server, [f"CorpusId:{paper.corpus_id}"])
    assert response.status == 200
    assert response.body[0]["citationCount"] == paper.citation_count
    assert response.attempts == 4
    assert http.requests_sent["semantic_scholar"] == 4
    assert server.count("s2") == 4
    assert server.count("s2", 503) == 3
    # back-off doubles (2, 4, 8 s ceilings) and is jittered within [ceiling/2, ceiling]
    assert len(fake_time.sleeps) == 3
    for sleep, ceiling in zip(fake_time.sleeps, (2.0, 4.0, 8.0), strict=True):
        assert ceiling / 2 <= sleep <= ceiling


def test_jitter_differs_between_clients(server):
    delays = []
    for seed in (1, 2):
        import random

        t = FakeTime()
        server.inject("s2", "status", times=1, status=500)
        http = HttpClient(sleep=t.sleep, clock=t.clock, rng=random.Random(seed))
        s2_batch(http, server, ["CorpusId:1"])
        delays.append(t.sleeps[0])
    assert delays[0] != delays[1]


def test_post_is_retried_and_every_attempt_counted(server, fake_time):
    server.inject("s2", "status", times=1, status=500)
    http = client(fake_time)
    s2_batch(http, server, ["CorpusId:1"])
    posts = [r for r in server.log if r.method == "POST"]
    assert len(posts) == 2
    assert http.retries["semantic_scholar"] == 1


@pytest.mark.parametrize(
    "kind",
    ["reset", "down", "truncate", "malformed"],
)
def test_connection_and_body_faults_are_retried(server, fake_time, kind):
    paper = server.catalogue.papers[1]
    server.inject("s2", kind, times=2)
    http = client(fake_time)
    response = s2_batch(http, server, [f"CorpusId:{paper.corpus_id}"])
    assert response.body[0]["paperId"] == paper.s2_id
    assert http.requests_sent["semantic_scholar"] == 3


def test_source_that_stays_down_gives_a_clear_error(server, fake_time):
    server.inject("s2", "down", times=None)
    http = client(fake_time, max_attempts=4)
    with pytest.raises(SourceError) as info:
        s2_batch(http, server, ["CorpusId:1"])
    message = str(info.value)
    assert message.startswith("semantic_scholar: ")
    assert "closed the connection" in message
    assert "after 4 attempts" in message
    assert info.value.source == "semantic_scholar"
    assert server.count("s2") == 4


def test_429_forever_becomes_rate_limited_error_naming_source_and_attempts(server, fake_time):
    server.inject("s2", "429", times=None)
    http = client(fake_time, max_attempts=5, backoff_base=2.0, max_retry_time=1000)
    with pytest.raises(RateLimitedError) as info:
        s2_batch(http, server, ["CorpusId:1"])
    message = str(info.value)
    assert "semantic_scholar: HTTP 429 Too Many Requests" in message
    assert "after 5 attempts over" in message
    assert "Too Many Requests. Please wait" in message  # S2's own words (the 'message' field)
    assert http.requests_sent["semantic_scholar"] == 5


def test_malformed_forever_is_a_malformed_response_error(server, fake_time):
    server.inject("s2", "malformed", times=None)
    http = client(fake_time, max_attempts=4)
    with pytest.raises(MalformedResponseError, match="invalid JSON"):
        s2_batch(http, server, ["CorpusId:1"])


def test_total_retry_time_is_bounded(server, fake_time):
    server.inject("s2", "status", times=None, status=502)
    http = client(fake_time, max_attempts=50, backoff_base=4.0, max_retry_time=20.0)
    start = fake_time.now
    with pytest.raises(SourceError, match="HTTP 502"):
        s2_batch(http, server, ["CorpusId:1"])
    assert fake_time.now - start <= 20.0
    assert 2 <= server.count("s2") < 10


def test_retry_after_seconds_is_honoured(server, fake_time):
    server.inject("s2", "429", times=1, retry_after="7")
    http = client(fake_time, backoff_base=0.5)
    s2_batch(http, server, ["CorpusId:1"])
    assert sum(fake_time.sleeps) >= 7.0
    assert sum(fake_time.sleeps) < 7.0 + 0.5


def test_retry_after_http_date_is_honoured(server, fake_time):
    when = datetime.now(UTC) + timedelta(seconds=30)
    server.inject("s2", "429", times=1, retry_after=format_datetime(when, usegmt=True))
    http = client(fake_time, backoff_base=0.5)
    s2_batch(http, server, ["CorpusId:1"])
    assert 25 <= sum(fake_time.sleeps) <= 31


def test_retry_after_beyond_the_cap_fails_at_once(server, fake_time):
    server.inject("s2", "429", times=None, retry_after="3600")
    http = client(fake_time, retry_after_cap=120)
    with pytest.raises(RateLimitedError, match="asks to wait 3600 s"):
        s2_batch(http, server, ["CorpusId:1"])
    assert server.count("s2") == 1
    assert fake_time.sleeps == []


def test_parse_retry_after():
    now = datetime(2026, 11, 28, 3, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("12", now) == 12.0
    assert parse_retry_after("Sat, 28 Nov 2026 03:00:45 GMT", now) == 45.0
    assert parse_retry_after("Sat, 28 Nov 2026 02:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_client_errors_are_final_not_retried(server, fake_time):
    http = client(fake_time)
    with pytest.raises(SourceError, match="HTTP 400.*Unrecognized or unsupported fields"):
        http.request(
            "semantic_scholar",
            "POST",
            server.api_url("s2") + "/paper/batch",
            params={"fields": "nonsense"},
            json={"ids": []},
        )
    assert server.count("s2") == 1


def test_allowed_status_is_returned_parsed(server, fake_time):
    http = client(fake_time)
    response = http.request(
        "crossref",
        "GET",
        server.api_url("crossref") + "/works/10.1234/unknown",
        allow_status=(404,),
    )
    assert response.status == 404
    assert response.body is None  # "Resource not found." is not JSON; the status says it all


def test_validate_rejection_is_retried(server, fake_time):
    http = client(fake_time, max_attempts=3)
    seen = []

    def validate(response):
        seen.append(response.status)
        raise ValueError("wrong shape")

    with pytest.raises(MalformedResponseError, match="unexpected response \\(wrong shape\\)"):
        http.request(
            "crossref",
            "GET",
            server.api_url("crossref") + "/works/x",
            allow_status=(404,),
            validate=validate,
        )
    assert len(seen) == 3


def test_read_timeout_is_retried_with_real_sockets():
    """Small real delays: the first answer comes after 0.6 s, the timeout is 0.2 s."""
    papers = make_papers(3)
    with FakeApiServer(papers, enforce_limits=False) as server:
        server.inject("crossref", "slow", times=1, delay=0.6)
        doi = next(p.doi for p in papers if p.doi)
        http = HttpClient(timeout=0.2, backoff_base=0.05)
        started = time.monotonic()
        response = http.request("crossref", "GET", f"{server.api_url('crossref')}/works/{doi}")
        assert response.body["message"]["DOI"] == doi
        assert http.requests_sent["crossref"] == 2
        assert time.monotonic() - started < 5
        http.close()


def test_read_timeout_forever_names_the_timeout():
    with FakeApiServer(make_papers(2), enforce_limits=False) as server:
        server.inject("crossref", "slow", times=None, delay=0.5)
        http = HttpClient(timeout=0.1, backoff_base=0.01, max_attempts=4)
        with pytest.raises(SourceError, match=r"no answer within 0.1 s .*after 4 attempts"):
            http.request("crossref", "GET", f"{server.api_url('crossref')}/works/10.1/x")
        server.clear_faults()


def test_connection_refused_is_a_source_error(fake_time):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    http = client(fake_time, max_attempts=4)
    with pytest.raises(SourceError, match="crossref: connection refused after 4 attempts"):
        http.request("crossref", "GET", f"http://127.0.0.1:{port}/works/10.1/x")


# -- rate limiting --------------------------------------------------------------


def test_rate_limiter_spaces_request_starts(fake_time):
    limiter = RateLimiter(1.5, clock=fake_time.clock, sleep=fake_time.sleep)
    starts = []
    for _ in range(4):
        with limiter.slot():
            starts.append(fake_time.now)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    # the interval plus a 2% margin for network jitter (the server counts arrivals)
    assert gaps == pytest.approx([1.53, 1.53, 1.53])


def test_rate_limiter_does_not_wait_when_time_has_passed(fake_time):
    limiter = RateLimiter(1.0, clock=fake_time.clock, sleep=fake_time.sleep)
    with limiter.slot():
        pass
    fake_time.now += 5
    with limiter.slot():
        pass
    assert fake_time.sleeps == []


def test_concurrent_callers_keep_the_interval_and_one_connection_at_a_time():
    """Real threads and a real rate-limited server: arXiv must see no 429 and no 503."""
    papers = make_papers(8)
    scale = 0.02  # arXiv: one request per 60 ms
    with FakeApiServer(papers, time_scale=scale) as server:
        http = HttpClient(max_attempts=1)
        ids = [p.arxiv_id for p in papers if p.arxiv_id]
        errors: list[Exception] = []

        def fetch(arxiv_id: str) -> None:
            try:
                http.request(
                    "arxiv",
                    "GET",
                    server.api_url("arxiv"),
                    params={"id_list": arxiv_id, "max_results": 1},
                    expect="xml",
                    min_interval=3.0 * scale + 0.005,
                    exclusive=True,
                )
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=fetch, args=(i,)) for i in ids[:5]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert server.count("arxiv") == 5
        assert server.count("arxiv", 200) == 5
        arrivals = sorted(r.time for r in server.log)
        gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
        assert min(gaps) >= 3.0 * scale - server.tolerance


def test_fake_server_catches_a_client_that_ignores_the_interval():
    """The counter-test: without the limiter the fake answers 429 (so compliance is meaningful)."""
    with FakeApiServer(make_papers(2), time_scale=0.05) as server:
        http = HttpClient(max_attempts=1)
        with pytest.raises(RateLimitedError):
            for _ in range(3):
                s2_batch(http, server, ["CorpusId:1"])
        assert server.count("s2", 429) >= 1


# -- identity, config and secrets ----------------------------------------------------


def test_user_agent_names_pubtrack_version_and_contact():
    config = Config(root=Path("."), owner=Owner(email="me@example.org"))
    http = HttpClient(config)
    assert http.session.headers["User-Agent"].startswith(f"pubtrack/{__version__} ")
    assert "mailto:me@example.org" in http.session.headers["User-Agent"]
    assert "mailto" not in HttpClient(Config(root=Path("."))).user_agent
    assert http.user_agent == f"pubtrack/{__version__} (mailto:me@example.org)"
    assert HttpClient(Config(root=Path("."))).user_agent == f"pubtrack/{__version__}"


def test_user_agent_reaches_the_server(server, fake_time):
    http = HttpClient(Config(root=Path("."), owner=Owner(email="me@example.org")))
    s2_batch(http, server, ["CorpusId:1"])
    assert "mailto:me@example.org" in server.log[-1].user_agent


def test_policy_comes_from_config_per_source(fake_time):
    config = Config(
        root=Path("."),
        sync=SyncSettings(
            max_retry_time=30,
            timeout=5,
            tables={"semantic_scholar": SourceSettings(max_retry_time=120, max_attempts=7)},
        ),
    )
    http = client(fake_time, config)
    s2 = http.policy("semantic_scholar")
    other = http.policy("crossref")
    assert (s2.max_retry_time, s2.max_attempts, s2.timeout) == (120, 7, 5)
    assert (other.max_retry_time, other.max_attempts) == (30, 5)


def test_unknown_client_option_is_refused():
    with pytest.raises(TypeError):
        HttpClient(retries=3)  # type: ignore[arg-type]


def test_api_keys_never_appear_in_errors_logs_or_reprs(server, fake_time, monkeypatch, caplog):
    monkeypatch.setenv("OPENALEX_API_KEY", "oa-secret-4242")
    monkeypatch.setenv("S2_API_KEY", "s2-secret-9191")
    server.inject("openalex", "status", times=None, status=500)
    server.inject("s2", "status", times=None, status=500)
    http = client(fake_time, max_attempts=4)
    caplog.set_level(logging.DEBUG, logger="pubtrack")
    with pytest.raises(SourceError) as oa_error:
        http.request(
            "openalex",
            "GET",
            server.api_url("openalex") + "/works",
            params={"filter": "doi:10.1/x", "api_key": "oa-secret-4242", "per_page": 100},
        )
    with pytest.raises(SourceError) as s2_error:
        http.request(
            "semantic_scholar",
            "POST",
            server.api_url("s2") + "/paper/batch",
            json={"ids": ["CorpusId:1"]},
            headers={"x-api-key": "s2-secret-9191"},
        )
    text = " ".join(
        [str(oa_error.value), str(s2_error.value), repr(http), caplog.text, repr(oa_error.value)]
    )
    assert "oa-secret-4242" not in text
    assert "s2-secret-9191" not in text
    assert "api_key=***" in str(oa_error.value)
    assert server.log[0].api_key  # the key was sent, only never shown


def test_secrets_from_config_are_redacted_too(fake_time):
    http = client(fake_time)
    http.add_secret("cfg-secret-77")
    assert http.redact("url?token=abc&x=cfg-secret-77") == "url?token=***&x=***"
    assert (
        redact("https://h/works?filter=doi:x&api_key=abcdef")
        == "https://h/works?filter=doi:x&api_key=***"
    )


def test_a_bad_base_url_is_a_clear_error_not_a_traceback(fake_time):
    http = client(fake_time)
    with pytest.raises(SourceError, match="arxiv: invalid URL not-a-url.*PUBTRACK_"):
        http.request("arxiv", "GET", "not-a-url", expect="xml")


def test_a_source_has_a_retry_budget_for_the_whole_run(server, fake_time):
    """Each request recovers, but back-off over the run is capped: then fail fast."""
    http = client(fake_time, backoff_base=4.0, max_total_retry_time=10.0)
    recovered = 0
    with pytest.raises(SourceError, match="of its 10 s retry budget"):
        for _ in range(8):  # each batch: one 503, then a back-off of 2..4 s
            server.inject("s2", "status", times=1, status=503)
            s2_batch(http, server, ["CorpusId:1"])
            recovered += 1
    assert recovered >= 2  # two back-offs of at most 4 s fit in the budget
    assert http.retry_seconds["semantic_scholar"] <= 10.0
    assert http.policy("crossref").max_total_retry_time == 10.0


class _NoDnsSession:
    """A session whose every request fails the way urllib3 reports a DNS failure."""

    def __init__(self) -> None:
        self.calls = 0
        self.headers: dict[str, str] = {}

    def request(self, *args: object, **kwargs: object) -> None:
        import requests

        self.calls += 1
        raise requests.exceptions.ConnectionError(
            "HTTPSConnectionPool(host='api.example', port=443): Max retries exceeded "
            "(Caused by NameResolutionError(\"Failed to resolve 'api.example' "
            '([Errno -3] Temporary failure in name resolution)"))'
        )

    def mount(self, *args: object) -> None:
        pass

    def close(self) -> None:
        pass


def test_unknown_host_gives_up_after_one_retry(fake_time: FakeTime) -> None:
    session = _NoDnsSession()
    http = HttpClient(sleep=fake_time.sleep, clock=fake_time.clock, session=session)  # type: ignore[arg-type]
    with pytest.raises(SourceError, match="crossref: host name not found after 2 attempts"):
        http.request("crossref", "GET", "https://api.example/works/10.1/x")
    assert session.calls == 2 and http.requests_sent == {"crossref": 2}
    assert len(fake_time.sleeps) == 1  # other connection failures get max_attempts (5)
