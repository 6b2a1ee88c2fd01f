"""documents.py - GET /api/v1/documents?limit=&cursor=: Menhir's list (modules/documents) with
the same query rules, the same transaction and statements, and the same JSON bytes. Only the
default order and no filters: the page bench/run measures. Menhir's other parameters (sort,
status, tag, owner_id, q, include_deleted) are answered as unknown."""
import base64
import binascii
import hashlib
import json
import re
from datetime import datetime, timedelta, timezone

import asyncpg

from errors import ApiError, unavailable

PAGE_DEFAULT = 20
PAGE_MAX = 100
SORT = "-created_at"

# Word for word Menhir's documents_keyset_plan_generic and documents_list_created_desc
# (bench/peers/check compares them with bench/floor's copies, which t/it_documents.c
# compares with Menhir's).
PLAN_SQL = ("SELECT set_config('enable_sort', 'off', true),"
            " set_config('plan_cache_mode', 'force_generic_plan', true)")


def _us(col):
    return f"(extract(epoch FROM {col}) * 1000000)::int8"


LIST_SQL = (
    "SELECT d.id, d.owner_id, d.title, array_to_json(d.tags), d.status, d.version, "
    f"{_us('d.created_at')}, {_us('d.updated_at')}, {_us('d.deleted_at')}"
    " FROM (SELECT d.* FROM documents d"
    " WHERE d.tenant_id = (SELECT app_tenant_id()) AND d.deleted_at IS NULL"
    " AND ($3::text IS NULL OR d.status = $3::text)"
    " AND ($4::text IS NULL OR d.tags @> ARRAY[$4::text])"
    " AND ($5::uuid IS NULL OR d.owner_id = $5::uuid)"
    " AND (d.created_at, d.id) < ($1::timestamptz, $2::uuid)"
    " ORDER BY d.created_at DESC, d.id DESC LIMIT $6::int) d"
    " ORDER BY d.created_at DESC, d.id DESC")
# Menhir's RLS context with the membership and role check (core/db.h's MH_DB_ENTER_SQL).
ENTER_SQL = ("SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true),"
             " set_config('app.role', coalesce((SELECT m.role FROM memberships m"
             " JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1::uuid"
             " AND m.user_id = $2::uuid AND u.disabled_at IS NULL"
             " AND app_role_rank(m.role) >= app_role_rank(coalesce(nullif($3, ''), 'viewer'))),"
             " app_refuse('MH403', 'not an enabled member with the role this route needs')), true)")

# Menhir's cursor fingerprint of the filter set (modules/documents/validate.c): SHA-256 of
# each filter or \x1e when absent, each ended by \x1f, then include_deleted; 12 hex digits.
# With no filters it is one constant.
FINGERPRINT = hashlib.sha256(b"\x1e\x1f" * 4 + b"0").hexdigest()[:12]
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_INTEGER = re.compile(r"-?[0-9]+")  # a declared integer: digits, an optional minus
_CURSOR_SHAPE = re.compile(r"[A-Za-z0-9_=-]+")  # a declared cursor: base64url
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Page one starts before every row, as Menhir's 'infinity' (asyncpg sends datetime.max so).
_FIRST = (datetime.max.replace(tzinfo=timezone.utc), "ffffffff-ffff-ffff-ffff-ffffffffffff")


def _encode_cursor(key, id_):
    """base64url(JSON {"s","k","i","f"}) of the last row shown, as Menhir's documents_cursor."""
    raw = json.dumps({"s": SORT, "k": key, "i": id_, "f": FINGERPRINT}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def _decode_cursor(c):
    """(key as a datetime, id), or None when c is not a cursor this list handed out."""
    bare = c.rstrip("=")
    if len(c) > 2048 or not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", c) or len(bare) % 4 == 1:
        return None
    try:
        o = json.loads(base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(o, dict) or len(o) != 4:
        return None
    s, k, i, f = (o.get(n) for n in ("s", "k", "i", "f"))
    if (s != SORT or f != FINGERPRINT or not isinstance(i, str) or not _UUID.fullmatch(i)
            or not isinstance(k, str) or not _TIMESTAMP.fullmatch(k)):
        return None
    try:
        at = datetime.strptime(k, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:  # the right shape, but no such date (PostgreSQL refuses it as well)
        return None
    return at, i


# What Menhir answers for input its declarations refuse (core/input.h: MH_INPUT_INVALID).
INPUT_INVALID = "invalid input; details names each problem"


def parse_list_query(items):
    """(limit, after) from the query's (name, value) pairs in order, with Menhir's
    declared-input checks (core/input.c) in its order: each parameter as given (unknown, given
    twice, or its first time a value of the wrong shape), and only when all of that was right,
    whether the cursor is one of this list. Raises the 400."""
    details, seen = [], {}
    limit, cursor, after = PAGE_DEFAULT, None, None
    for k, v in items:
        if k not in ("limit", "cursor"):
            details.append({"field": k, "message": "unknown query parameter"})
            continue
        seen[k] = seen.get(k, 0) + 1
        if seen[k] > 1:
            if seen[k] == 2:
                details.append({"field": k, "message": "given more than once"})
            continue
        if k == "limit":
            n = int(v) if _INTEGER.fullmatch(v) else 0
            if 1 <= n <= PAGE_MAX:
                limit = n
            else:
                details.append({"field": "limit", "message": "must be an integer from 1 to 100"})
        elif not v or len(v) > 2048 or not _CURSOR_SHAPE.fullmatch(v):
            details.append({"field": "cursor", "message": "is not a cursor this list returned"})
        else:
            cursor = v
    if details:
        raise ApiError(400, "validation_failed", INPUT_INVALID, details)
    if cursor is not None and (after := _decode_cursor(cursor)) is None:
        raise ApiError(400, "validation_failed", INPUT_INVALID, [{"field": "cursor", "message":
                       "is not a cursor this list returned for the same sort and filters"}])
    return limit, after


def _timestamp(us):
    """Integer microseconds since 1970 as Menhir writes them: 2024-05-01T10:00:00.123456Z."""
    if us is None:
        return None
    return (_EPOCH + timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def _init_connection(conn):
    # json columns as Python values, as node-postgres does by default.
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(config):
    return await asyncpg.create_pool(
        **config.database, min_size=config.pool_size, max_size=config.pool_size,
        init=_init_connection,
        server_settings={"application_name": "fastapi-peer",
                         "statement_timeout": "5000"})  # Menhir's db_statement_timeout


def _db_unavailable(e):
    """A lost or refusing database: no SQLSTATE, class 08, shutdown 57P0x, statement timeout."""
    state = getattr(e, "sqlstate", None) or ""
    return (not isinstance(e, asyncpg.PostgresError) or state.startswith("08")
            or state.startswith("57P0") or state == "57014")


async def list_page(pool, config, principal, limit, after):
    """One page in one transaction, the statements Menhir queues for it: BEGIN READ ONLY, the
    tenant/user context with the membership and role check (MH403 when refused), the
    planner settings, the list, COMMIT. asyncpg runs them one after another: five round
    trips. Returns {"data": [...], "next_cursor": ...}."""
    key, id_ = after or _FIRST
    try:
        async with pool.acquire() as conn, conn.transaction(readonly=True):
            await conn.fetchval(ENTER_SQL, principal["tid"], principal["sub"], "viewer")
            await conn.fetchrow(PLAN_SQL)
            rows = await conn.fetch(LIST_SQL, key, id_, None, None, None, limit + 1)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as e:
        if getattr(e, "sqlstate", None) == "MH403":
            raise ApiError(403, "forbidden", "your role in this tenant does not allow this") from e
        if _db_unavailable(e):
            raise unavailable("the database", config.retry_after) from e
        raise
    data = [{"id": str(r[0]), "owner_id": str(r[1]), "title": r[2], "tags": r[3],
             "status": r[4], "version": r[5], "created_at": _timestamp(r[6]),
             "updated_at": _timestamp(r[7]), "deleted_at": _timestamp(r[8])}
            for r in rows[:limit]]
    more = len(rows) > limit
    return {"data": data,
            "next_cursor": _encode_cursor(data[-1]["created_at"], data[-1]["id"]) if more else None}
