"""Errors the env server returns as JSON: a stable code, an HTTP status and a message naming the input."""

from __future__ import annotations


class EnvServerError(Exception):
    """An error reported to the client as ``{"error": message, "code": code}``.

    Codes match the TypeScript ``EnvError`` codes where one exists, so clients can map them 1:1.
    """

    status: int = 400
    code: str = "BadRequest"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, str]:
        return {"error": self.message, "code": self.code}


class UnknownTask(EnvServerError):
    code = "UnknownTask"
    status = 404


class BadVariation(EnvServerError):
    code = "BadVariation"


class BadGameFile(EnvServerError):
    code = "BadGameFile"
    status = 404


class BadAction(EnvServerError):
    code = "BadAction"


class SessionLost(EnvServerError):
    code = "SessionLost"
    status = 404


class BadRequest(EnvServerError):
    code = "BadRequest"


class NotFound(EnvServerError):
    code = "NotFound"
    status = 404


class Internal(EnvServerError):
    code = "Internal"
    status = 500


class EnvDivergence(EnvServerError):
    """A step index already used in this session was sent again with a different action."""

    code = "EnvDivergence"
    status = 409
