"""HTTP layer: routes AgentGym-style requests to the env backends and turns errors into JSON."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse

from .errors import BadRequest, EnvServerError, Internal, NotFound, SessionLost
from .scienceworld_env import TASK_NAMES, ScienceWorldBackend, parse_simplifications, resolve_task
from .alfworld_env import AlfWorldBackend
from .sessions import Session, SessionRegistry
from .stats import ServerStats
from .validate import action_of, optional_int, optional_str, step_index_of
from .versions import versions

log = logging.getLogger("step_hrl_envserver")
Handler = Callable[[dict[str, Any]], Any]

#: Route prefixes; `sciworld` is AgentGym's package name, accepted as an alias.
ENV_PREFIXES = {"scienceworld": "scienceworld", "sciworld": "scienceworld", "alfworld": "alfworld"}

#: Test-only: sleep this long after applying a step, before answering it (reproduces "the step
#: completed on the server after the client gave up"). Never set it outside tests.
TEST_STEP_DELAY_ENV = "STEP_HRL_ENVSERVER_TEST_STEP_DELAY_MS"


def task_of(reset_out: dict[str, Any]) -> str:
    """The per-task stats key of a reset's answer."""
    return str(reset_out.get("task_name") or reset_out.get("game_file") or "?")


class EnvService:
    """Owns the backends and their session registries; every public method takes a JSON-like dict."""

    def __init__(self, sci: ScienceWorldBackend, alf: AlfWorldBackend, test_step_delay_s: float | None = None) -> None:
        self.backends: dict[str, Any] = {"scienceworld": sci, "alfworld": alf}
        self.registries: dict[str, SessionRegistry[Any]] = {
            name: SessionRegistry(name) for name in self.backends
        }
        self.stats = ServerStats()
        if test_step_delay_s is None:
            test_step_delay_s = float(os.environ.get(TEST_STEP_DELAY_ENV) or 0) / 1000
        self.test_step_delay_s = test_step_delay_s
        self._reaper_stop = threading.Event()
        # Owners released as gone: a create of theirs still running (a JVM start takes seconds) is
        # refused when it finishes, instead of registering a session nobody will ever close.
        self._gone_owners: set[str] = set()
        self._owners_lock = threading.Lock()

    def create(self, env: str, body: dict[str, Any]) -> dict[str, Any]:
        """A new session; with ``key`` (an episode id), a retried create finds the session it made.

        The keyed session is reused only while it has taken no step since its reset: a retried
        ``create`` + ``reset`` (the client died before it got the answer) then costs no second reset.
        A keyed session that went further is superseded (closed): its client lost it and starts over.
        """
        key = body.get("key")
        if key is not None and not isinstance(key, str):
            raise BadRequest(f"key must be a string (an episode id), got {key!r}")
        owner = optional_str(body, "owner")
        registry = self.registries[env]
        if key is not None:
            existing = registry.by_key(key)
            if existing is not None:
                with existing.lock:
                    reusable = not existing.closed and existing.steps.next_index == 0
                if reusable:
                    self.stats.count(env, "sessions_reused")
                    return {"id": existing.id, "reused": True}
                self._close_session(env, existing, expired=False)
        state = self.backends[env].new_state()
        with self._owners_lock:  # a release either sees this session or marks its owner gone first
            # A gone owner's late create is kept only for a retried create of its key, which no
            # other session has taken meanwhile; anything else would be a session nobody closes.
            gone = owner is not None and owner in self._gone_owners
            if not gone or (key is not None and registry.by_key(key) is None):
                self.stats.count(env, "sessions_created")
                return {"id": registry.add(state, key, owner).id}
        self.backends[env].close_state(state)
        raise SessionLost(f"{env} session not created: its owner {owner!r} was released as gone (POST /sessions/release)")

    def reset(self, env: str, body: dict[str, Any]) -> dict[str, Any]:
        backend = self.backends[env]
        request = {k: v for k, v in body.items() if k != "id"}

        def run(s: Session[Any]) -> dict[str, Any]:
            if s.key is not None and s.reset_body == request and s.steps.next_index == 0 and s.reset_out is not None:
                # The same reset again, nothing since: same answer.
                self.stats.stored_reset(env, task_of(s.reset_out))
                return s.reset_out
            s.steps.clear()  # a new episode: earlier step indices no longer name anything
            out: dict[str, Any] = backend.reset(s.state, body)
            self.stats.reset(env, task_of(out))
            s.reset_body, s.reset_out = request, out
            return out

        return self.registries[env].run(body.get("id"), run)

    def step(self, env: str, body: dict[str, Any]) -> dict[str, Any]:
        """Applies one action; with ``step_index``, exactly once (a repeat is answered from the store)."""
        backend = self.backends[env]
        sid = body.get("id")
        self.registries[env].get(sid)  # unknown session beats bad action: the session is the bigger problem
        action = action_of(body)
        index = step_index_of(body)

        def run(s: Session[Any]) -> tuple[dict[str, Any], bool]:
            stored = s.steps.lookup(index, action, f"{env} session {s.id}")
            if stored is not None:
                self.stats.count(env, "steps_from_store")
                return stored, False
            result: dict[str, Any] = backend.step(s.state, action, body)
            applied = s.steps.record(action, result)
            self.stats.applied(env, s.id, s.steps.generation, applied)
            return result, True

        result, fresh = self.registries[env].run(sid, run)
        if fresh and self.test_step_delay_s > 0:
            time.sleep(self.test_step_delay_s)  # outside the session lock: a repeat is answered meanwhile
        return result

    def close(self, env: str, body: dict[str, Any]) -> bool:
        registry = self.registries[env]
        self._close_session(env, registry.get(body.get("id")), expired=False)
        return True

    def release(self, body: dict[str, Any]) -> dict[str, int]:
        """Closes the open sessions (of any env) created by ``owner``, a client process known to be gone.

        Only that process could step them, so they would hold their simulator until the idle TTL.
        Kept: a keyed session with no step since its reset, still its key's session, because the
        retried create + reset of that key (the episode's reset sent again) reuses it.
        """
        owner = optional_str(body, "owner")
        if not owner:
            raise BadRequest("`owner` is required: the id the gone client process sent with /create")
        with self._owners_lock:
            self._gone_owners.add(owner)
        released = 0
        for env, registry in self.registries.items():
            for session in registry.all():
                if session.owner != owner or self._kept_for_its_key(registry, session):
                    continue
                if self._close_session(env, session, expired=False, counter="sessions_released"):
                    released += 1
        if released:
            log.warning("closed %d session(s) of gone client %s", released, owner)
        return {"released": released}

    @staticmethod
    def _kept_for_its_key(registry: SessionRegistry[Any], session: Session[Any]) -> bool:
        """Whether a keyed create would reuse ``session`` (see :meth:`create`)."""
        with session.lock:
            untouched = session.steps.next_index == 0
        return untouched and session.key is not None and registry.by_key(session.key) is session

    def _close_session(self, env: str, session: Session[Any], expired: bool, counter: str | None = None) -> bool:
        """Closes under the session lock (never mid-step); the caller holds no lock. False if already closed."""
        registry = self.registries[env]
        with session.lock:
            if session.closed:
                return False
            session.closed = True
            registry.remove(session.id, expired=expired)
            self.stats.count(env, counter or ("sessions_expired" if expired else "sessions_closed"))
            self.stats.forget_session(env, session.id)
            self.backends[env].close_state(session.state)
            return True

    def reap_idle(self, ttl_s: float) -> int:
        """Closes every session idle longer than ``ttl_s`` and not in use; returns how many."""
        now = time.monotonic()
        reaped = 0
        for env, registry in self.registries.items():
            for session in registry.all():
                if now - session.last_used <= ttl_s or session.lock.locked():
                    continue
                log.warning("closing %s session %s: idle for %.0f s (TTL %.0f s)", env, session.id, now - session.last_used, ttl_s)
                try:
                    self._close_session(env, session, expired=True)
                    reaped += 1
                except Exception:  # the reaper must keep running
                    log.exception("closing idle %s session %s", env, session.id)
        return reaped

    def start_reaper(self, ttl_s: float) -> threading.Thread:
        """Starts a daemon thread that reaps idle sessions every ``min(ttl_s / 4, 30)`` seconds."""

        def loop() -> None:
            while not self._reaper_stop.wait(max(0.05, min(ttl_s / 4, 30.0))):
                self.reap_idle(ttl_s)

        thread = threading.Thread(target=loop, name="envserver-session-reaper", daemon=True)
        thread.start()
        return thread

    def stats_snapshot(self) -> dict[str, Any]:
        snapshot = self.stats.snapshot(list(self.backends), {env: len(r.all()) for env, r in self.registries.items()})
        for env, backend in self.backends.items():
            pool = getattr(backend, "simulators", None)
            if pool is not None:  # sessions served by a spare simulator (warm) or one started for them (cold)
                snapshot["envs"][env]["simulators"] = pool.counts()
        return snapshot

    def open_sessions(self) -> list[dict[str, Any]]:
        """Every open session: who made it (``key``, ``owner``), how far it went, how long it sat idle."""
        now = time.monotonic()
        return [
            {
                "env": env,
                "id": s.id,
                "key": s.key,
                "owner": s.owner,
                "steps": s.steps.next_index,
                "idle_s": round(now - s.last_used, 1),
            }
            for env, registry in self.registries.items()
            for s in registry.all()
        ]

    def gold(self, query: dict[str, Any]) -> list[str]:
        """Gold actions; computed in the caller's session simulator when `id` is given (parallel
        across sessions; the session must be reset afterwards), else in the shared catalog one."""
        sci: ScienceWorldBackend = self.backends["scienceworld"]
        task = resolve_task(query.get("task_name"))
        variation = optional_int(query, "variation") or 0
        simplifications = parse_simplifications(query)
        if query.get("id") is None:
            return sci.catalog.gold(task, variation, simplifications)

        def run(s: Session[Any]) -> list[str]:
            s.steps.clear()  # the session now needs a reset; old step indices name nothing
            return sci.gold_in_session(s.state, task, variation, simplifications)

        return self.registries["scienceworld"].run(query.get("id"), run)

    def last(self, env: str, query: dict[str, Any], key: str | None) -> Any:
        def read(s: Any) -> Any:
            last = s.state.last or {}
            return last if key is None else last.get(key)

        return self.registries[env].run(query.get("id"), read)

    def shutdown(self) -> None:
        self._reaper_stop.set()
        for env, registry in self.registries.items():
            for session in registry.all():
                try:
                    self.backends[env].close_state(session.state)
                except Exception:  # best effort on the way out
                    log.exception("closing %s session %s", env, session.id)
        for backend in self.backends.values():
            backend.shutdown()


def build_routes(service: EnvService) -> dict[tuple[str, str], Handler]:
    sci: ScienceWorldBackend = service.backends["scienceworld"]
    alf: AlfWorldBackend = service.backends["alfworld"]
    routes: dict[tuple[str, str], Handler] = {
        ("GET", "/"): lambda q: "step-hrl env server: ScienceWorld and ALFWorld (see docs/env-server-protocol.md)",
        ("GET", "/health"): lambda q: {"status": "ok", "envs": list(service.backends)},
        ("GET", "/versions"): lambda q: versions(),
        ("GET", "/stats"): lambda q: service.stats_snapshot(),
        ("GET", "/sessions"): lambda q: service.open_sessions(),
        ("POST", "/sessions/release"): lambda b: service.release(b),
        ("GET", "/scienceworld/tasks"): lambda q: [
            {"task_name": t, "num_variations": sci.catalog.max_variations(t)} for t in TASK_NAMES
        ],
        ("GET", "/scienceworld/variations"): lambda q: {
            "task_name": resolve_task(q.get("task_name")),
            "split": q.get("split"),
            "variations": sci.catalog.variations(resolve_task(q.get("task_name")), str(q.get("split"))),
        },
        ("GET", "/scienceworld/gold"): lambda q: {"actions": service.gold(q)},
        ("GET", "/alfworld/games"): lambda q: alf.index.games(optional_str(q, "split")),
        ("GET", "/alfworld/walkthrough"): lambda q: {"actions": alf.index.walkthrough(_required(q, "game_file"))},
        ("GET", "/alfworld/available_actions"): lambda q: service.last("alfworld", q, "available_actions"),
    }
    for prefix, env in ENV_PREFIXES.items():
        routes[("POST", f"/{prefix}/create")] = lambda b, env=env: service.create(env, b)
        routes[("POST", f"/{prefix}/reset")] = lambda b, env=env: service.reset(env, b)
        routes[("POST", f"/{prefix}/step")] = lambda b, env=env: service.step(env, b)
        routes[("POST", f"/{prefix}/close")] = lambda b, env=env: service.close(env, b)
        routes[("GET", f"/{prefix}/observation")] = lambda q, env=env: service.last(env, q, "observation")
        routes[("GET", f"/{prefix}/detail")] = lambda q, env=env: service.last(env, q, None)
    for (method, path), fn in list(routes.items()):
        if path.startswith("/scienceworld/") and (method, path.replace("/scienceworld/", "/sciworld/")) not in routes:
            routes[(method, path.replace("/scienceworld/", "/sciworld/"))] = fn
    return routes


def _required(q: dict[str, Any], key: str) -> str:
    value = optional_str(q, key)
    if not value:
        raise BadRequest(f"query parameter `{key}` is required")
    return value


def make_handler(routes: dict[tuple[str, str], Handler]) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections across steps

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            url = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            self._dispatch("GET", url.path, query)

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            try:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw.strip() else {}
                if not isinstance(body, dict):
                    raise BadRequest("request body must be a JSON object")
            except (ValueError, UnicodeDecodeError) as e:
                self._send(400, BadRequest(f"request body is not valid JSON: {e}").to_json())
                return
            except BadRequest as e:
                self._send(e.status, e.to_json())
                return
            self._dispatch("POST", url.path, body)

        def _dispatch(self, method: str, path: str, args: dict[str, Any]) -> None:
            fn = routes.get((method, path.rstrip("/") or "/"))
            try:
                if fn is None:
                    raise NotFound(f"no route {method} {path}; see docs/env-server-protocol.md")
                self._send(200, fn(args))
            except EnvServerError as e:
                self._send(e.status, e.to_json())
            except Exception as e:  # a simulator crash must still answer with JSON
                log.exception("%s %s failed", method, path)
                err = Internal(f"{method} {path} failed inside the environment: {type(e).__name__}: {e}")
                self._send(err.status, err.to_json())

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            log.debug("%s " + format, self.address_string(), *args)

    return RequestHandler


def serve(service: EnvService, host: str, port: int, on_listening: Callable[[int], None]) -> ThreadingHTTPServer:
    """Starts serving in a background thread and returns the server (call ``shutdown()`` to stop)."""
    httpd = ThreadingHTTPServer((host, port), make_handler(build_routes(service)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, name="envserver-http", daemon=True).start()
    on_listening(httpd.server_address[1])
    return httpd
