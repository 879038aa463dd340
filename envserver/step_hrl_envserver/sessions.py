"""Session registry: integer ids that never repeat across server processes, one lock per session."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

from .errors import SessionLost
from .step_log import StepLog

T = TypeVar("T")


@dataclass
class Session(Generic[T]):
    """One live environment session; ``lock`` serializes every simulator call on it."""

    id: int
    state: T
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False
    steps: StepLog = field(default_factory=StepLog)
    #: ``time.monotonic()`` of the last request that used the session (for the idle TTL).
    last_used: float = field(default_factory=time.monotonic)
    #: The client's idempotency key (an episode id): a retried create + reset finds this session.
    key: str | None = None
    #: The client process that created it (a worker incarnation id): when that process is known to be
    #: gone, ``POST /sessions/release`` closes its sessions, which no one else can step.
    owner: str | None = None
    #: The last reset's request and answer, kept while no step followed it (a retried reset gets it).
    reset_body: dict[str, Any] | None = None
    reset_out: dict[str, Any] | None = None


class SessionRegistry(Generic[T]):
    """Thread-safe map from session id to session.

    Ids start at a random offset so an id issued by a previous server process is reported as
    ``SessionLost`` instead of silently addressing some other session after a restart. Ids stay
    below 2**53 so JavaScript clients keep them exact.
    """

    def __init__(self, env_name: str) -> None:
        self._env_name = env_name
        self._lock = threading.Lock()
        self._sessions: dict[int, Session[T]] = {}
        self._next_id = secrets.randbelow(1 << 40) << 10
        self._expired: set[int] = set()
        self._by_key: dict[str, int] = {}

    def add(self, state: T, key: str | None = None, owner: str | None = None) -> Session[T]:
        with self._lock:
            sid = self._next_id
            self._next_id += 1
            session = Session(id=sid, state=state, key=key, owner=owner)
            self._sessions[sid] = session
            if key is not None:
                self._by_key[key] = sid
            return session

    def by_key(self, key: str) -> Session[T] | None:
        """The open session created with ``key``, if any."""
        with self._lock:
            sid = self._by_key.get(key)
            return self._sessions.get(sid) if sid is not None else None

    def get(self, raw_id: Any) -> Session[T]:
        sid = parse_id(raw_id)
        with self._lock:
            session = self._sessions.get(sid)
        if session is None and sid in self._expired:
            raise SessionLost(
                f"{self._env_name} session id {sid} was closed by the env server after being idle longer "
                "than its session TTL (--session-ttl-seconds / STEP_HRL_ENV_SESSION_TTL_S); create a new session and reset it"
            )
        if session is None:
            raise SessionLost(
                f"{self._env_name} session id {sid} is not known to this env server "
                "(it was closed, or the server restarted since it was created); "
                "create a new session and reset it"
            )
        return session

    def remove(self, sid: int, expired: bool = False) -> None:
        with self._lock:
            session = self._sessions.pop(sid, None)
            if session is not None and session.key is not None and self._by_key.get(session.key) == sid:
                del self._by_key[session.key]
            if expired:
                self._expired.add(sid)

    def all(self) -> list[Session[T]]:
        with self._lock:
            return list(self._sessions.values())

    def run(self, raw_id: Any, fn: Callable[[Session[T]], Any]) -> Any:
        """Runs ``fn`` on the session while holding its lock (simulators are not thread-safe)."""
        session = self.get(raw_id)
        session.last_used = time.monotonic()
        with session.lock:
            if session.closed:
                # Closed (or expired) while this request waited for the lock.
                self.get(session.id)
                raise SessionLost(f"{self._env_name} session id {session.id} was closed; create a new session")
            try:
                return fn(session)
            finally:
                session.last_used = time.monotonic()


def parse_id(raw_id: Any) -> int:
    """Accepts an int or a decimal string (query strings carry ids as text)."""
    from .errors import BadRequest

    if isinstance(raw_id, bool):
        raise BadRequest(f"session id must be an integer, got {raw_id!r}")
    if isinstance(raw_id, int):
        return raw_id
    if isinstance(raw_id, str) and raw_id.strip().lstrip("-").isdigit():
        return int(raw_id)
    raise BadRequest(f"session id must be an integer (the `id` returned by /create), got {raw_id!r}")
