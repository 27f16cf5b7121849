"""The one HTTP layer every source goes through.

One ``requests.Session`` (connection reuse), one User-Agent naming pubtrack
and the contact address, per-source rate limiters, and ONE retry loop that
knows about everything a night job meets: 429 with or without
``Retry-After``, 5xx, refused/reset connections, read timeouts, bodies cut
short or not parseable. The loop is hand-written rather than urllib3's
``Retry`` because the rate limiter, the per-source time budget, POST retries
and "the body did not parse" must be decided in one place, and every attempt
must be counted (``requests_sent``) for the sync report.

API keys never leave this module in readable form: every URL or message that
reaches an exception or a log line goes through ``redact``.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import logging
import os
import random
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import requests

from pubtrack import __version__
from pubtrack.errors import MalformedResponseError, RateLimitedError, SourceError

if TYPE_CHECKING:
    from pubtrack.config import Config

log = logging.getLogger("pubtrack.http")

# Query parameters and headers that carry secrets, whatever their value.
SECRET_PARAMS = ("api_key", "apikey", "key", "token", "access_token")
SECRET_HEADERS = ("x-api-key", "authorization")

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

# Defaults; each can be set in [sync] (all sources) or [sync.<source>].
DEFAULTS: dict[str, float] = {
    "connect_timeout": 10.0,
    "timeout": 60.0,  # read timeout; a batch of hundreds of papers can take a while
    "max_attempts": 5,  # >= 4: a burst of three failures is ridden out
    "max_retry_time": 120.0,  # seconds of retrying one request, at most
    "backoff_base": 2.0,  # first back-off; doubles each attempt
    "backoff_max": 60.0,
    "retry_after_cap": 120.0,  # never wait longer than this for a Retry-After
    # seconds of back-off one source may spend over the whole run: a source
    # that keeps failing and recovering cannot stretch a nightly job for hours
    "max_total_retry_time": 600.0,
}

_SECRET_QUERY = re.compile(r"(?i)([?&](?:" + "|".join(SECRET_PARAMS) + r")=)[^&#\s'\"]*")


def _secret_forms(secret: str) -> set[str]:
    """Every spelling a message can show a key in: as is, stripped, URL-encoded,
    and escaped as repr() and JSON escape it (a key with a newline or a quote)."""
    import json as _json
    from urllib.parse import quote, quote_plus

    forms = {secret, secret.strip()}
    for value in list(forms):
        forms |= {
            quote(value, safe=""),
            quote_plus(value, safe=""),
            repr(value)[1:-1],
            _json.dumps(value)[1:-1],
            value.encode("unicode_escape").decode("ascii"),
        }
    return {f for f in forms if len(f) >= 4}


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """``text`` with every API key replaced by ``***`` (query values and known secrets)."""
    from pubtrack.sources.registry import secret_envs  # the APIs' key_env variables

    text = _SECRET_QUERY.sub(r"\1***", text)
    for secret in (*secrets, *(os.environ.get(n, "") for n in secret_envs())):
        if secret and len(secret) >= 4:
            for form in sorted(_secret_forms(secret), key=len, reverse=True):
                text = text.replace(form, "***")
    return text


def _drop_secret_params(url: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in query if k.lower() not in SECRET_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def keep_keys_on_host(session: requests.Session) -> requests.Session:
    """A redirect to another host never carries an API key.

    requests strips only ``Authorization`` there; an ``x-api-key`` header and
    a key in the query would go along to whatever host the
    ``Location`` names. This wraps the session's own redirect hook.
    """
    original = getattr(session, "rebuild_auth", None)
    if original is None:  # a test double that never follows redirects
        return session

    def rebuild_auth(prepared: requests.PreparedRequest, response: requests.Response) -> None:
        original(prepared, response)
        previous = response.request.url if response.request is not None else None
        if previous is None or session.should_strip_auth(previous, prepared.url or ""):
            for name in list(prepared.headers):
                if name.lower() in SECRET_HEADERS:
                    del prepared.headers[name]
            if prepared.url and _SECRET_QUERY.search(prepared.url):
                prepared.url = _drop_secret_params(prepared.url)

    session.rebuild_auth = rebuild_auth  # type: ignore[method-assign]
    return session


def _request_defaults(source: str) -> tuple[float, dict[str, str]]:
    """(seconds between requests, headers) the API named ``source`` asks for when the
    caller gives none: its class's, through the registries (this module names no API)."""
    from pubtrack.sources.registry import request_defaults

    return request_defaults(source)


def user_agent(contact: str = "") -> str:
    """'pubtrack/0.1.0 (mailto:me@example.org)': who is calling and how to reach them."""
    base = f"pubtrack/{__version__}"
    return f"{base} (mailto:{contact})" if contact else base


class RateLimiter:
    """Minimum interval between request *starts* for one source; thread-safe.

    ``exclusive`` also holds a lock for the whole request (an API that asks
    for "a single connection at a time": ``Api.exclusive``). ``clock``/``sleep``
    are injectable so tests do not wait for real.
    """

    def __init__(
        self,
        min_interval: float = 0.0,
        *,
        exclusive: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.min_interval = max(0.0, float(min_interval))
        self.exclusive = exclusive
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()  # guards _next_start
        self._busy = threading.Lock()  # held during a request when exclusive
        self._next_start = 0.0
        self.waited = 0.0  # total seconds spent waiting (for reports)

    @property
    def spacing(self) -> float:
        """The interval kept between starts: the minimum plus a small safety margin.

        The server measures arrivals, not our starts; a request that leaves a
        few milliseconds late followed by one that leaves on time would arrive
        closer together than the limit. 2% (at most 50 ms) absorbs that.
        """
        return self.min_interval + min(0.02 * self.min_interval, 0.05)

    def _reserve(self) -> float:
        """Book the next start slot; return how long to wait for it."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + self.spacing
            return start - now

    def push_back(self, seconds: float) -> None:
        """The server asked us to wait (Retry-After): nobody starts before then."""
        with self._lock:
            self._next_start = max(self._next_start, self._clock() + seconds)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for our turn, then (exclusive) keep others out until the request ends."""
        if self.exclusive:
            self._busy.acquire()
        try:
            wait = self._reserve()
            if wait > 0:
                self.waited += wait
                self._sleep(wait)
            yield
        finally:
            if self.exclusive:
                self._busy.release()


@dataclass
class HttpResponse:
    """What a source gets back: the status, the parsed body and the raw text."""

    status: int
    body: Any  # parsed JSON, an XML Element, or the text (expect="text")
    text: str
    headers: dict[str, str] = field(default_factory=dict)
    url: str = ""  # redacted
    attempts: int = 1


@dataclass
class _Policy:
    connect_timeout: float
    timeout: float
    max_attempts: int
    max_retry_time: float
    backoff_base: float
    backoff_max: float
    retry_after_cap: float
    max_total_retry_time: float


class _Retryable(Exception):
    """One failed attempt that may succeed if tried again."""

    def __init__(
        self,
        what: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        max_attempts: int | None = None,
    ):
        super().__init__(what)
        self.what = what
        self.status = status
        self.retry_after = retry_after
        # A failure that rarely heals within a run (an unknown host name: no
        # network, or a typo in PUBTRACK_*_API_URL) gets fewer attempts.
        self.max_attempts = max_attempts


class HttpClient:
    """One session, rate limiters and retries for every source of a run.

    ``sleep``, ``clock`` and ``rng`` are injectable (tests run the retry
    logic without waiting). ``requests_sent[source]`` counts attempts,
    retries included; ``retries[source]`` counts the retries alone.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        user_agent_contact: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
        **overrides: float,
    ) -> None:
        self.config = config
        contact = (
            user_agent_contact
            if user_agent_contact is not None
            else (config.owner.email if config is not None else "")
        )
        self.contact = contact
        self.user_agent = user_agent(contact)
        self.session = keep_keys_on_host(session or requests.Session())
        self.session.headers["User-Agent"] = self.user_agent
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        unknown = set(overrides) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown HttpClient option(s): {', '.join(sorted(unknown))}")
        self._overrides = overrides
        self._limiters: dict[str, RateLimiter] = {}
        self._limiters_lock = threading.Lock()
        self._secrets: list[str] = []
        self.requests_sent: dict[str, int] = {}
        self.retries: dict[str, int] = {}
        self.retry_seconds: dict[str, float] = {}  # back-off spent per source this run
        self._count_lock = threading.Lock()

    def __repr__(self) -> str:  # never the session headers (they may hold a key)
        return f"HttpClient(user_agent={self.user_agent!r}, sources={sorted(self._limiters)})"

    # -- configuration ----------------------------------------------------
    def add_secret(self, value: str | None) -> None:
        """A value that must never appear in a message (an API key from a config file)."""
        if value and value not in self._secrets:
            self._secrets.append(value)

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def policy(self, source: str) -> _Policy:
        """Timeouts and retry budget for a source: [sync.<source>] > [sync] > defaults."""
        values = dict(DEFAULTS)
        if self.config is not None:
            values.update(self.config.sync.http_overrides())
            values.update(self.config.sync.source(source).http_overrides())
        values.update(self._overrides)
        return _Policy(
            connect_timeout=values["connect_timeout"],
            timeout=values["timeout"],
            max_attempts=max(1, int(values["max_attempts"])),
            max_retry_time=values["max_retry_time"],
            backoff_base=values["backoff_base"],
            backoff_max=values["backoff_max"],
            retry_after_cap=values["retry_after_cap"],
            max_total_retry_time=values["max_total_retry_time"],
        )

    def limiter(
        self, source: str, min_interval: float | None = None, *, exclusive: bool | None = None
    ) -> RateLimiter:
        """The limiter of a source (created on first use; interval updated when given).
        Created without an interval, it keeps the API's own (``request_defaults``)."""
        with self._limiters_lock:
            limiter = self._limiters.get(source)
            if limiter is None:
                if min_interval is None:  # the API's own pace (its class, via the registry)
                    min_interval = _request_defaults(source)[0]
                limiter = RateLimiter(
                    min_interval,
                    exclusive=bool(exclusive),
                    clock=self._clock,
                    sleep=self._sleep,
                )
                self._limiters[source] = limiter
            if min_interval is not None:
                limiter.min_interval = max(0.0, float(min_interval))
            if exclusive is not None:
                limiter.exclusive = exclusive
            return limiter

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the request loop -------------------------------------------------
    def request(
        self,
        source: str,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        expect: str = "json",
        min_interval: float | None = None,
        exclusive: bool | None = None,
        allow_status: tuple[int, ...] = (),
        validate: Callable[[HttpResponse], None] | None = None,
    ) -> HttpResponse:
        """Send one logical request (retried as needed); return the parsed answer.

        ``expect``: 'json', 'xml' (an ElementTree root) or 'text'. A 2xx answer
        (or a status in ``allow_status``, e.g. 404) is returned parsed; a body
        that does not parse, or that ``validate`` rejects (raising
        ``ValueError``), counts as a failed attempt and is retried. Other
        4xx are final. Raises ``RateLimitedError``, ``MalformedResponseError``
        or ``SourceError``, each naming the source and what happened.
        """
        policy = self.policy(source)
        limiter = self.limiter(source, min_interval, exclusive=exclusive)
        shown = self.redact(_full_url(url, params))
        started = self._clock()
        attempt = 0
        last: _Retryable | None = None
        while True:
            attempt += 1
            with self._count_lock:
                self.requests_sent[source] = self.requests_sent.get(source, 0) + 1
                if attempt > 1:
                    self.retries[source] = self.retries.get(source, 0) + 1
            try:
                with limiter.slot():
                    response = self._attempt(
                        source, method, url, params, json, headers, policy, shown
                    )
                result = self._check(source, response, expect, allow_status, shown, attempt)
                if validate is not None:
                    try:
                        validate(result)
                    except ValueError as exc:
                        raise _Retryable(f"unexpected response ({exc})") from None
                return result
            except _Retryable as failure:
                last = failure
            elapsed = self._clock() - started
            delay = self._delay(attempt, policy, last)
            if last.retry_after is not None and last.retry_after > policy.retry_after_cap:
                raise self._give_up(source, last, attempt, elapsed, shown, policy, waiting=True)
            allowed = min(policy.max_attempts, last.max_attempts or policy.max_attempts)
            if attempt >= allowed or elapsed + delay > policy.max_retry_time:
                raise self._give_up(source, last, attempt, elapsed, shown, policy)
            spent = self.retry_seconds.get(source, 0.0)
            if spent + delay > policy.max_total_retry_time:
                raise self._give_up(source, last, attempt, elapsed, shown, policy, spent=spent)
            with self._count_lock:
                self.retry_seconds[source] = spent + delay
            log.info(
                "%s: %s (attempt %d of %d); retrying in %.1f s",
                source,
                last.what,
                attempt,
                policy.max_attempts,
                delay,
            )
            if last.retry_after is not None:
                limiter.push_back(delay)
            else:
                self._sleep(delay)

    def _attempt(
        self,
        source: str,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        json: Any,
        headers: dict[str, str] | None,
        policy: _Policy,
        shown: str,
    ) -> requests.Response:
        polite = _request_defaults(source)[1]
        if polite:
            headers = {**polite, **(headers or {})}
        try:
            return self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=(policy.connect_timeout, policy.timeout),
            )
        except requests.exceptions.ConnectTimeout:
            raise _Retryable(f"connection timed out after {policy.connect_timeout:g} s") from None
        except requests.exceptions.ReadTimeout:
            raise _Retryable(f"no answer within {policy.timeout:g} s (read timeout)") from None
        except requests.exceptions.ChunkedEncodingError:
            raise _Retryable("the answer was cut short (truncated body)") from None
        except requests.exceptions.ContentDecodingError:
            raise _Retryable("the answer could not be decoded") from None
        except requests.exceptions.ConnectionError as exc:
            what = _connection_problem(exc)
            cap = DNS_FAILURE_ATTEMPTS if what == HOST_NOT_FOUND else None
            raise _Retryable(what, max_attempts=cap) from None
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ):
            raise SourceError(
                f"{source}: invalid URL {shown} (check the PUBTRACK_*_API_URL variables)",
                source=source,
            ) from None

    def _check(
        self,
        source: str,
        response: requests.Response,
        expect: str,
        allow_status: tuple[int, ...],
        shown: str,
        attempt: int,
    ) -> HttpResponse:
        status = response.status_code
        headers = dict(response.headers)
        if status in RETRY_STATUSES or status >= 500:
            raise _Retryable(
                f"HTTP {status} {_reason(response)}{_api_message(response)}",
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After"), self._now()),
            )
        if not (200 <= status < 300) and status not in allow_status:
            hint = ""
            if status in (401, 403):
                hint = " (check the API key)"
            raise SourceError(
                f"{source}: HTTP {status} {_reason(response)}{_api_message(response)}{hint}"
                f" for {_short_url(shown)}",
                source=source,
            )
        text = response.text
        body: Any = text
        try:
            if expect == "json":
                body = jsonlib.loads(response.content)
            elif expect == "xml":
                body = ET.fromstring(response.content)
        except (ValueError, ET.ParseError) as exc:
            if not 200 <= status < 300:
                body = None  # e.g. a 404 page in HTML: the status says it all
            else:
                kind = "JSON" if expect == "json" else "XML"
                detail = f"{len(response.content)} bytes" if expect == "json" else str(exc)
                raise _Retryable(f"invalid {kind} (HTTP {status}, {detail})") from None
        return HttpResponse(status, body, text, headers, shown, attempt)

    def _delay(self, attempt: int, policy: _Policy, failure: _Retryable) -> float:
        """Exponential back-off with jitter, or what Retry-After asks (capped)."""
        if failure.retry_after is not None:
            return min(max(0.0, failure.retry_after), policy.retry_after_cap) + self._rng.uniform(
                0, 0.1 * policy.backoff_base
            )
        ceiling = min(policy.backoff_max, policy.backoff_base * (2 ** (attempt - 1)))
        # "Equal jitter": at least half the back-off, so clients that failed
        # together do not come back together.
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _give_up(
        self,
        source: str,
        failure: _Retryable,
        attempts: int,
        elapsed: float,
        shown: str,
        policy: _Policy,
        *,
        waiting: bool = False,
        spent: float | None = None,
    ) -> SourceError:
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        span = f"over {elapsed:.0f} s" if elapsed >= 1 else f"over {elapsed:.1f} s"
        if waiting:
            message = (
                f"{source}: {failure.what}; the server asks to wait {failure.retry_after:.0f} s, "
                f"more than the {policy.retry_after_cap:.0f} s allowed (after {tries})"
            )
        elif spent is not None:
            message = (
                f"{source}: {failure.what} after {tries}; this run already spent "
                f"{spent:.0f} s of its {policy.max_total_retry_time:.0f} s retry budget"
            )
        else:
            message = f"{source}: {failure.what} after {tries} {span}"
        message = self.redact(f"{message} ({_short_url(shown)})")
        log.warning("%s", message)
        if failure.status == 429:
            return RateLimitedError(message, source=source)
        if failure.what.startswith(("invalid JSON", "invalid XML", "unexpected response")):
            return MalformedResponseError(message, source=source)
        return SourceError(message, source=source)

    def _now(self) -> float:
        return time.time()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _full_url(url: str, params: dict[str, Any] | None) -> str:
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params, safe=',:/|')}"


def _short_url(url: str, value_limit: int = 48) -> str:
    """The URL with long query values shortened (every parameter name stays visible)."""
    base, sep, query = url.partition("?")
    if not sep:
        return url
    parts = []
    for pair in query.split("&"):
        name, eq, value = pair.partition("=")
        if len(value) > value_limit:
            value = value[: value_limit - 1] + "…"
        parts.append(f"{name}{eq}{value}")
    return f"{base}?{'&'.join(parts)}"


def _reason(response: requests.Response) -> str:
    if response.reason:
        return str(response.reason)
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return ""


def _api_message(response: requests.Response) -> str:
    """The API's own words ('error', 'message' or 'detail' in a JSON body), shortened."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    words = [
        " ".join(value.split())[:80]
        for key in ("error", "message", "detail")
        if isinstance(value := data.get(key), str) and value.strip()
    ]
    if not words:
        return ""
    return f": {words[0]}" + (f" ({words[1]})" if len(words) > 1 else "")


HOST_NOT_FOUND = "host name not found"
DNS_FAILURE_ATTEMPTS = 2  # one retry rides out a DNS hiccup; offline runs end fast
_DNS_FAILURE_SIGNS = (
    "Name or service not known",
    "getaddrinfo",
    "NameResolutionError",
    "Temporary failure in name resolution",
    "nodename nor servname",
)


def _connection_problem(exc: requests.exceptions.ConnectionError) -> str:
    text = str(exc)
    if any(sign in text for sign in _DNS_FAILURE_SIGNS):
        return HOST_NOT_FOUND
    if "Connection refused" in text or "NewConnectionError" in text:
        return "connection refused"
    if "RemoteDisconnected" in text or "closed connection without response" in text:
        return "the server closed the connection without an answer"
    if "reset" in text.lower():
        return "connection reset"
    return "connection failed"
