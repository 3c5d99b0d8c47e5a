"""Every bound the service enforces, in one place, read from ``STANCE_*`` environment variables.

The service may run in several uvicorn worker processes, which only inherit the environment,
so the environment is how ``stance serve`` hands its options to each worker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Mapping

from model.errors import InputError


@dataclass(frozen=True)
class Limits:
    """Request limits (413/422), the deadline (503), the queue bound (429) and batching knobs."""

    max_statements: int = 256
    """Statements per ``/v1/score`` request; more is 413."""
    max_statement_chars: int = 5_000
    """Characters per statement; longer is 413."""
    max_article_chars: int = 50_000
    """Characters per ``/v1/analyze`` article; longer is 413. Extraction runs at about 9,000-15,000 characters/s
    on one idle core, so the largest article is extracted well within the timeout."""
    max_pending_chars: int = 100_000
    """Article characters admitted for extraction and not yet extracted; past it (or past what the measured
    extraction rate gets through within the timeout) an article gets 429."""
    max_body_bytes: int = 8 * 1024 * 1024
    """Raw request body size, checked before parsing so a huge body never reaches memory whole."""
    timeout_s: float = 10.0
    """A request not answered by then is cut with 503; work not yet started for it is dropped."""
    header_timeout_s: float = 5.0
    """A connection that has not sent a request's headers by then is closed (idle and slow clients)."""
    body_timeout_s: float = 10.0
    """Longest wait for the next piece of a request body; 408 after it."""
    max_pending: int = 1_024
    """Statements admitted but not yet answered; a request that would exceed it gets 429. At the measured
    170 statements/s (2 cores) a full queue drains in about 6 s, inside the timeout."""
    batch_size: int = 16
    """Most statements in one inference batch (measured: 16 beats 64 on 2 cores, less padding)."""
    batch_wait_ms: float = 2.0
    """How long the first request of a batch waits for company before inference starts."""
    reload_interval_s: float = 2.0
    """How often the registry's ``current`` alias is checked for a newly promoted version."""
    inference_threads: int = 0
    """Intra-op threads of the model; 0 picks one less than the CPUs (at most 4), leaving a core to the
    event loop: on 2 shared cores 1 thread gave about 1.6x the throughput of 2."""

    @property
    def threads(self) -> int:
        return self.inference_threads or max(1, min(4, (os.cpu_count() or 2) - 1))

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value < 0 or (value == 0 and f.name not in ("batch_wait_ms", "inference_threads")):
                raise InputError(f"limit {f.name} must be positive, got {value}")
        # A request within every per-request limit must be admissible on an idle server.
        for small, big in (("max_statements", "max_pending"), ("max_article_chars", "max_pending_chars")):
            if getattr(self, small) > getattr(self, big):
                raise InputError(f"limit {small} ({getattr(self, small)}) is over {big} ({getattr(self, big)}): "
                                 "such a request could never be admitted")

    @staticmethod
    def env_name(field_name: str) -> str:
        return f"STANCE_{field_name.upper()}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: float | None) -> "Limits":
        """Defaults, then ``STANCE_<FIELD>`` variables, then explicit non-None overrides."""
        env = os.environ if env is None else env
        values: dict[str, float] = {}
        for f in fields(cls):
            raw = env.get(cls.env_name(f.name))
            if raw is None or raw == "":
                continue
            kind = int if f.type in ("int", int) else float
            try:
                values[f.name] = kind(raw)
            except ValueError:
                raise InputError(f"{cls.env_name(f.name)}={raw!r} is not a valid {kind.__name__}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)

    def to_env(self) -> dict[str, str]:
        """The variables that make ``from_env`` in a worker process rebuild these limits."""
        return {self.env_name(f.name): str(getattr(self, f.name)) for f in fields(self)}
