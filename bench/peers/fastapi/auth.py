"""auth.py - the bearer access token, checked as Menhir's core/auth.c and core/jwt.c check it:
RS256 with the key its kid names, iss, aud, exp/nbf/iat with 30 s of leeway, a lifetime no
longer than Menhir's access_token_ttl, the claims Menhir issues, the revocation table (the
token, its session, its user's minimum version), then its role against the route's minimum."""
import re

import jwt
from fastapi import Request

from errors import ApiError, unavailable
from revocation import REVOKED, VALID

LEEWAY = 30  # seconds, Menhir's TOKEN_LEEWAY_SECONDS
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_RANK = {"viewer": 1, "member": 2, "admin": 3, "owner": 4}
_REQUIRED = ["exp", "nbf", "iat", "iss", "aud", "sub", "tid", "jti", "sid", "role", "ver"]


def _integer(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _claims_ok(c, max_ttl):
    """What PyJWT leaves to the caller: JSON integers for the times (it takes "1" or 1.5), a
    bounded lifetime, and Menhir's own claims well-formed."""
    return (all(_integer(c[k]) for k in ("exp", "nbf", "iat"))
            and c["exp"] - c["iat"] <= max_ttl + LEEWAY and _integer(c["ver"]) and c["ver"] >= 0
            and all(isinstance(c[k], str) and _UUID.fullmatch(c[k])
                    for k in ("sub", "tid", "jti", "sid"))
            and c["role"] in _RANK)


def _invalid_token():
    return ApiError(401, "invalid_token", "the access token is invalid or expired",
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class Authenticated:
    """A dependency for a route open to min_role and above; it returns the token's claims."""

    def __init__(self, min_role):
        self.min_rank = _RANK[min_role]

    async def __call__(self, request: Request):
        config, revocations = request.app.state.config, request.app.state.revocations
        h = request.headers.get("authorization")
        if h is None or h[:7].lower() != "bearer " or len(h) == 7:
            raise ApiError(401, "unauthenticated",
                           "this endpoint needs an access token (Authorization: Bearer ...)",
                           headers={"WWW-Authenticate": 'Bearer realm="menhir"'})
        token = h[7:]
        try:
            key = config.keys.get(jwt.get_unverified_header(token).get("kid"))
            if key is None:
                raise _invalid_token()
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=config.audience,
                                issuer=config.issuer, leeway=LEEWAY,
                                options={"require": _REQUIRED})
        except jwt.InvalidTokenError:
            raise _invalid_token() from None
        if not _claims_ok(claims, config.max_ttl):
            raise _invalid_token()
        state = revocations.check(claims["jti"], claims["sid"], claims["sub"], claims["ver"])
        if state == REVOKED:
            raise _invalid_token()
        if state != VALID:
            # Fail closed: without the revocation feed nobody can say the token is still good.
            raise unavailable("the token revocation service", config.retry_after)
        if _RANK[claims["role"]] < self.min_rank:
            raise ApiError(403, "forbidden", "your role in this tenant does not allow this")
        return claims
