// documents.js - GET /api/v1/documents?limit=&cursor=: Menhir's list (modules/documents) with
// the same query rules, the same transaction and statements, and the same JSON bytes. Only
// the default order and no filters: the page bench/run measures. Menhir's other parameters
// (sort, status, tag, owner_id, q, include_deleted) are answered as unknown.
import { createHash } from 'node:crypto';

import { sendError, sendUnavailable } from './errors.js';

const PAGE_DEFAULT = 20;
const PAGE_MAX = 100;
const SORT = '-created_at';

// Word for word Menhir's documents_keyset_plan_generic and documents_list_created_desc
// (bench/peers/check compares them with bench/floor's copies, which t/it_documents.c
// compares with Menhir's).
export const PLAN_SQL =
  "SELECT set_config('enable_sort', 'off', true)," +
  " set_config('plan_cache_mode', 'force_generic_plan', true)";
// Menhir's RLS context with the membership and role check (core/db.h's MH_DB_ENTER_SQL).
export const ENTER_SQL =
  "SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true)," +
  " set_config('app.role', coalesce((SELECT m.role FROM memberships m" +
  " JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1::uuid" +
  " AND m.user_id = $2::uuid AND u.disabled_at IS NULL" +
  " AND app_role_rank(m.role) >= app_role_rank(coalesce(nullif($3, ''), 'viewer')))," +
  " app_refuse('MH403', 'not an enabled member with the role this route needs')), true)";
const us = (col) => `(extract(epoch FROM ${col}) * 1000000)::int8`;
export const LIST_SQL =
  'SELECT d.id, d.owner_id, d.title, array_to_json(d.tags), d.status, d.version, ' +
  `${us('d.created_at')}, ${us('d.updated_at')}, ${us('d.deleted_at')}` +
  ' FROM (SELECT d.* FROM documents d' +
  ' WHERE d.tenant_id = (SELECT app_tenant_id()) AND d.deleted_at IS NULL' +
  ' AND ($3::text IS NULL OR d.status = $3::text)' +
  ' AND ($4::text IS NULL OR d.tags @> ARRAY[$4::text])' +
  ' AND ($5::uuid IS NULL OR d.owner_id = $5::uuid)' +
  ' AND (d.created_at, d.id) < ($1::timestamptz, $2::uuid)' +
  ' ORDER BY d.created_at DESC, d.id DESC LIMIT $6::int) d' +
  ' ORDER BY d.created_at DESC, d.id DESC';

// Menhir's cursor fingerprint of the filter set (modules/documents/validate.c): SHA-256 of
// each filter or \x1e when absent, each ended by \x1f, then include_deleted; 12 hex digits.
// With no filters it is one constant.
const FINGERPRINT = createHash('sha256').update('\x1e\x1f'.repeat(4) + '0').digest('hex').slice(0, 12);
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

// base64url(JSON {"s","k","i","f"}) of the last row shown, as Menhir's documents_cursor.
function encodeCursor(key, id) {
  return Buffer.from(JSON.stringify({ s: SORT, k: key, i: id, f: FINGERPRINT })).toString('base64url');
}

// [key, id], or null when c is not a cursor this list handed out.
function decodeCursor(c) {
  if (c.length > 2048 || !/^[A-Za-z0-9_-]*={0,2}$/.test(c) || c.replace(/=+$/, '').length % 4 === 1) return null;
  let o;
  try {
    o = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o) || Object.keys(o).length !== 4) return null;
  const { s, k, i, f } = o;
  if (s !== SORT || f !== FINGERPRINT || typeof i !== 'string' || !UUID.test(i) ||
    typeof k !== 'string' || !TIMESTAMP.test(k)) return null;
  return [k, i];
}

// What Menhir answers for input its declarations refuse (core/input.h: MH_INPUT_INVALID).
export const INPUT_INVALID = 'invalid input; details names each problem';

// {limit, after} or {details}, with Menhir's declared-input checks (core/input.c) in its
// order: each parameter as given — unknown, given twice, or (its first time) a value of the
// wrong shape — and only when all of that was right, whether the cursor is one of this list.
export function parseListQuery(search) {
  const details = [];
  const seen = new Map();
  let limit = PAGE_DEFAULT;
  let cursor = null;
  for (const [k, v] of search) {
    if (k !== 'limit' && k !== 'cursor') {
      details.push({ field: k, message: 'unknown query parameter' });
      continue;
    }
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    if (n > 1) {
      if (n === 2) details.push({ field: k, message: 'given more than once' });
      continue;
    }
    if (k === 'limit') {
      const x = /^-?[0-9]+$/.test(v) ? Number(v) : NaN;
      if (!(x >= 1 && x <= PAGE_MAX)) details.push({ field: 'limit', message: 'must be an integer from 1 to 100' });
      else limit = x;
    } else if (v.length === 0 || v.length > 2048 || !/^[A-Za-z0-9_=-]+$/.test(v)) {
      details.push({ field: 'cursor', message: 'is not a cursor this list returned' });
    } else {
      cursor = v;
    }
  }
  if (details.length > 0) return { details };
  let after = null;
  if (cursor !== null && (after = decodeCursor(cursor)) === null) {
    return { details: [{ field: 'cursor', message: 'is not a cursor this list returned for the same sort and filters' }] };
  }
  return { limit, after };
}

// Integer microseconds since 1970 as Menhir writes them: 2024-05-01T10:00:00.123456Z.
function timestamp(text) {
  if (text === null) return null;
  const n = Number(text);
  const secs = Math.floor(n / 1e6);
  return `${new Date(secs * 1000).toISOString().slice(0, 19)}.${String(n - secs * 1e6).padStart(6, '0')}Z`;
}

// One page in one transaction, the statements Menhir queues for it: BEGIN READ ONLY, the
// tenant/user context with the membership and role check (MH403 when refused), the
// planner settings, the list, COMMIT. node-postgres has no pipeline mode: five round trips.
async function listPage(pool, principal, limit, after) {
  const client = await pool.connect();
  let broken = null;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query({ name: 'enter', text: ENTER_SQL, values: [principal.tid, principal.sub, 'viewer'] });
    await client.query({ name: 'plan', text: PLAN_SQL });
    const r = await client.query({
      name: 'list',
      text: LIST_SQL,
      values: [after ? after[0] : 'infinity', after ? after[1] : 'ffffffff-ffff-ffff-ffff-ffffffffffff',
        null, null, null, limit + 1],
      rowMode: 'array',
    });
    await client.query('COMMIT');
    return r.rows;
  } catch (e) {
    await client.query('ROLLBACK').catch((e2) => { broken = e2; });
    throw e;
  } finally {
    client.release(broken ?? undefined);
  }
}

// A lost or refusing database (no SQLSTATE, class 08, shutdown 57P0x, statement timeout).
function unavailable(e) {
  return typeof e.code !== 'string' || e.code.length !== 5 || e.code.startsWith('08') ||
    e.code.startsWith('57P0') || e.code === '57014';
}

export function listDocuments(config, pool) {
  return async (req, res) => {
    const i = req.url.indexOf('?');
    const q = parseListQuery(new URLSearchParams(i < 0 ? '' : req.url.slice(i + 1)));
    if (q.details) return sendError(req, res, 400, 'validation_failed', INPUT_INVALID, q.details);
    let rows;
    try {
      rows = await listPage(pool, req.principal, q.limit, q.after);
    } catch (e) {
      if (e.code === 'MH403') return sendError(req, res, 403, 'forbidden', 'your role in this tenant does not allow this');
      if (unavailable(e)) return sendUnavailable(req, res, config.retryAfter, 'the database');
      throw e;
    }
    const shown = Math.min(rows.length, q.limit);
    const data = new Array(shown);
    for (let n = 0; n < shown; n++) {
      const r = rows[n];
      data[n] = {
        id: r[0], owner_id: r[1], title: r[2], tags: r[3], status: r[4], version: r[5],
        created_at: timestamp(r[6]), updated_at: timestamp(r[7]), deleted_at: timestamp(r[8]),
      };
    }
    const last = data[shown - 1];
    res.json({ data, next_cursor: rows.length > q.limit ? encodeCursor(last.created_at, last.id) : null });
  };
}
