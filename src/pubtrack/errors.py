"""One exception tree: the CLI maps each class to a message and an exit code.

Exit codes (DESIGN.md): 0 success; 1 failure with nothing changed; 2 bad input
or usage; 3 partial (some sources failed, the rest stored).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3


class PubtrackError(Exception):
    """Base of every error a user is expected to see as one `Error: ...` line."""

    exit_code: int = EXIT_FAILURE

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class BadInputError(PubtrackError):
    """The user's input is wrong: a flag, a config file, a .bib file."""

    exit_code = EXIT_BAD_INPUT


class ConfigError(BadInputError):
    """pubtrack.toml (or an environment override) is missing or invalid."""


class BibError(BadInputError):
    """A .bib file cannot be used; the message names FILE:LINE."""


class InjectError(BadInputError):
    """An --inject target has no markers (or broken ones) and was left alone."""


class UnsafeWriteError(PubtrackError):
    """--output/--inject refused: its input is missing, so writing would empty a page."""


class DatabaseError(PubtrackError):
    """The SQLite database cannot be opened, upgraded or written."""


class LockError(PubtrackError):
    """Another pubtrack process holds the lock for this project."""


class SourceError(PubtrackError):
    """A source (API) failed after all retries; earlier values are kept."""

    def __init__(self, message: str, *, source: str = "", exit_code: int | None = None) -> None:
        super().__init__(message, exit_code=exit_code)
        self.source = source


class RateLimitedError(SourceError):
    """The API kept answering 429 beyond the retry budget."""


class MalformedResponseError(SourceError):
    """The API answered with a body we cannot parse (truncated, wrong shape)."""


class PartialFailure(PubtrackError):
    """Some sources failed; what succeeded is stored and earlier values kept."""

    exit_code = EXIT_PARTIAL


class OptionalDependencyError(PubtrackError):
    """A feature needs an extra that is not installed (e.g. pubtrack[plot])."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(
            f"{feature} needs the optional extra '{extra}': pip install 'pubtrack[{extra}]'",
            exit_code=EXIT_BAD_INPUT,
        )
        self.extra = extra
