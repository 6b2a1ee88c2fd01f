"""errors.py - Menhir's error envelope, {"error","message","details"?,"request_id"}, with the
same codes and messages, so a client cannot tell the two servers apart by their errors."""
import secrets

from fastapi import Request
from fastapi.responses import JSONResponse


class ApiError(Exception):
    """Raised anywhere in a request; the app's handler answers it with the envelope."""

    def __init__(self, status, code, message, details=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers or {}


def unavailable(what, retry_after):
    return ApiError(503, "service_unavailable", f"{what} is unavailable; retry later",
                    headers={"Retry-After": retry_after})


def request_id(request: Request):
    """nginx passes its $request_id (as it passes REQUEST_ID to Menhir); run alone, make one."""
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = request.state.request_id = request.headers.get("x-request-id") or secrets.token_hex(16)
    return rid


def reply(request: Request, content, status=200, headers=None):
    """A JSON response with the headers Menhir puts on every API answer."""
    return JSONResponse(content, status, {"X-Request-Id": request_id(request),
                                          "Cache-Control": "no-store", **(headers or {})})


def envelope(request: Request, e: ApiError):
    body = {"error": e.code, "message": e.message}
    if e.details:
        body["details"] = e.details
    body["request_id"] = request_id(request)
    return reply(request, body, e.status, e.headers)
