"""Spare simulators started ahead of need, so a new session skips the simulator's start-up.

A ScienceWorld session runs in its own JVM, whose start (about 0.6 s here, more under load) is most
of what opening a session costs; a worker that re-drives an episode after its process was killed
pays it again before the first new step. The pool keeps ``size`` spares started in the background:
a new session takes one when one is ready, and its taking starts the next. It starts nothing until
the first session is asked for (a server used only for ALFWorld starts no JVM), unless ``prestart``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Generic, TypeVar

T = TypeVar("T")
#: The longest a session waits for a spare that is starting before it starts its own simulator.
SPARE_WAIT_S = 30.0
log = logging.getLogger(__name__)


class WarmPool(Generic[T]):
    """Up to ``size`` spares made by ``make`` in a background thread; ``close`` ends each unused one."""

    def __init__(
        self,
        make: Callable[[], T],
        close: Callable[[T], None],
        size: int,
        prestart: bool = False,
        refill_delay_s: float = 0.0,
    ) -> None:
        """``refill_delay_s``: the session that took a spare gets the cores this long before the next
        spare starts. A spare is used as ``make`` made it: a ScienceWorld simulator that ran any task
        lists a room's objects in another order than a fresh one, so no warm-up run is possible."""
        if size < 0:
            raise ValueError(f"a warm pool's size must be >= 0, got {size}")
        self._make = make
        self._close = close
        self._refill_delay_s = refill_delay_s
        self._size = size
        self._lock = threading.Lock()
        #: Signalled whenever a spare is up or a start ended (``take`` waits on it).
        self._ready = threading.Condition(self._lock)
        self._spares: list[T] = []
        self._starting = 0
        self._stopped = False
        #: Sessions served from a spare, and those that had to start their own simulator.
        self.warm = 0
        self.cold = 0
        if prestart:
            self._refill(delay_s=0.0)

    def take(self) -> T:
        """A ready spare (waiting for one already starting: it is up sooner than a new one would be),
        or a simulator started now when none is; either way the pool refills."""
        deadline = time.monotonic() + SPARE_WAIT_S
        with self._ready:
            while not self._spares and self._starting > 0 and not self._stopped:
                left = deadline - time.monotonic()
                if left <= 0:
                    break  # a spare that takes this long is stuck: start one for this session
                self._ready.wait(left)
            spare = self._spares.pop() if self._spares else None
            if spare is not None:
                self.warm += 1
            else:
                self.cold += 1
        try:
            # A cold session starts its own first: a spare started beside it would slow it down.
            return spare if spare is not None else self._make()
        finally:
            self._refill(self._refill_delay_s)

    def ready(self) -> int:
        """Spares started and not yet taken."""
        with self._lock:
            return len(self._spares)

    def counts(self) -> dict[str, int]:
        """What ``/stats`` shows: sessions served warm and cold, and spares ready."""
        with self._lock:
            return {"warm": self.warm, "cold": self.cold, "ready": len(self._spares), "size": self._size}

    def shutdown(self) -> None:
        """Closes every spare; one still starting is closed as soon as it is up."""
        with self._ready:
            self._stopped = True
            spares, self._spares = self._spares, []
            self._ready.notify_all()
        for spare in spares:
            self._close_quietly(spare)

    def _refill(self, delay_s: float) -> None:
        with self._lock:
            missing = self._size - len(self._spares) - self._starting
            if self._stopped or missing <= 0:
                return
            self._starting += missing
        for _ in range(missing):
            threading.Thread(target=self._start_one, args=(delay_s,), name="warm-pool", daemon=True).start()

    def _start_one(self, delay_s: float) -> None:
        try:
            if delay_s > 0:
                time.sleep(delay_s)
            made = self._make()
        except Exception:  # the next take starts its own simulator and reports the error there
            log.exception("starting a spare simulator")
            with self._ready:
                self._starting -= 1
                self._ready.notify_all()
            return
        with self._ready:
            self._starting -= 1
            keep = not self._stopped
            if keep:
                self._spares.append(made)
            self._ready.notify_all()
        if not keep:
            self._close_quietly(made)

    def _close_quietly(self, spare: T) -> None:
        try:
            self._close(spare)
        except Exception:  # best effort: a spare nobody used
            log.exception("closing a spare simulator")
