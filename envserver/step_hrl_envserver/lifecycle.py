"""Process lifetime: a spawned server dies with its owner, even when the owner is killed with -9."""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger("step_hrl_envserver")


def exit_with_parent(stop: threading.Event, poll_s: float = 1.0) -> None:
    """Sets ``stop`` when stdin reaches EOF (the parent's end of the pipe closed, which the kernel
    does for a killed parent) or when the parent process changes (re-parented to init)."""
    parent = os.getppid()

    def watch_stdin() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass  # the launcher sends nothing; any bytes are ignored
        except (OSError, ValueError):
            pass
        log.warning("stdin closed: the process that started this env server is gone; shutting down")
        stop.set()

    def watch_parent() -> None:
        while not stop.wait(poll_s):
            if os.getppid() != parent:
                log.warning("parent process %s is gone; shutting down", parent)
                stop.set()

    threading.Thread(target=watch_stdin, name="envserver-stdin-watch", daemon=True).start()
    threading.Thread(target=watch_parent, name="envserver-parent-watch", daemon=True).start()


def hard_exit_after(seconds: float) -> None:
    """Exits the process after ``seconds`` even if a clean shutdown is still stuck."""
    timer = threading.Timer(seconds, lambda: os._exit(1))
    timer.daemon = True
    timer.start()
