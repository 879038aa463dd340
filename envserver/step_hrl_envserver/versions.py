"""Versions of everything that decides what an environment does, for recording next to results."""

from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata

from . import __version__

PACKAGES = ("scienceworld", "alfworld", "textworld", "fast-downward-textworld", "py4j")


@functools.lru_cache(maxsize=1)
def java_version() -> str:
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unavailable ({type(e).__name__})"
    first = (out.stderr or out.stdout).strip().splitlines()
    return first[0] if first else "unknown"


def versions() -> dict[str, str]:
    """``{package: version}`` plus the server, Python and Java versions."""
    out: dict[str, str] = {"envserver": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["java"] = java_version()
    return out
