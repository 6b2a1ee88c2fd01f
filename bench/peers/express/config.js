// config.js - the peer's settings, from the environment (bench/peers/start sets them from the
// stack's env file and menhir.conf), and the stack's public signing keys by kid.
import { createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

// A libpq conninfo ("host='/run/x' port=5432 user=app password='it''s'") or a postgres:// URL,
// as node-postgres's Pool options. The stack describes its database the libpq way.
export function parseConninfo(s) {
  if (/^postgres(ql)?:\/\//.test(s)) return { connectionString: s };
  const names = { host: 'host', port: 'port', dbname: 'database', user: 'user', password: 'password' };
  const out = {};
  const re = /\s*([a-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|((?:[^\s'\\]|\\.)+))\s*/y;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (m === null) throw new Error('PEER_DATABASE is not a libpq conninfo');
    const value = (m[2] ?? m[3]).replace(/\\(.)/g, '$1');
    if (names[m[1]]) out[names[m[1]]] = value;
  }
  if (out.port) out.port = Number(out.port);
  return out;
}

// Every <kid>.pub.pem of Menhir's keys_dir: tokens name their key, and a rotated-out key
// keeps verifying until it is removed, as in Menhir's keyring.
function loadKeys(dir) {
  const keys = new Map();
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.pub.pem')) keys.set(f.slice(0, -8), createPublicKey(readFileSync(join(dir, f))));
  }
  if (keys.size === 0) throw new Error(`no *.pub.pem in ${dir}`);
  return keys;
}

export function loadConfig() {
  return {
    socket: required('PEER_SOCKET'),
    workers: Number(process.env.PEER_WORKERS || availableParallelism()),
    database: parseConninfo(required('PEER_DATABASE')),
    poolSize: Number(process.env.PEER_POOL_SIZE || 10),
    redisUrl: required('PEER_REDIS_URL'),
    issuer: required('PEER_JWT_ISSUER'),
    audience: required('PEER_JWT_AUDIENCE'),
    // Menhir's access_token_ttl: no token may claim to live longer.
    maxTtl: Number(process.env.PEER_ACCESS_TOKEN_TTL || 900),
    keys: loadKeys(required('PEER_KEYS_DIR')),
    retryAfter: process.env.PEER_RETRY_AFTER || '5',
  };
}
