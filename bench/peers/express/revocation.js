// revocation.js - Menhir's revocation check (core/revocation.c) for one worker process: an
// in-memory table of revoked token ids, revoked sessions and per-user minimum token versions,
// fed by the same Redis records (mh:rj:<jti>, mh:rs:<sid>, mh:tv:<user>) and the same channel, so a check costs a
// Map lookup and no round trip, like Menhir's shared-memory table. Node workers share no
// memory, so each keeps its own copy. It fails closed like Menhir: while the subscription is
// down or silent for 6 s, check() answers UNKNOWN and the request gets a 503.
import Redis from 'ioredis';

export const VALID = 0;
export const REVOKED = 1;
export const UNKNOWN = 2;

const CHANNEL = 'mh:revocations';
const HEARTBEAT_MS = 2000;
const SILENCE_MS = 6000;
const RESYNC_MS = 60000;

export class Revocations {
  constructor(url) {
    this.url = url;
    this.tokens = new Map(); // jti -> [1, expires (unix s)]
    this.sessions = new Map(); // sid -> [1, expires]
    this.versions = new Map(); // user id -> [minimum version, expires]
    this.healthy = false;
    this.lastHeard = 0;
    this.nextResync = 0;
    // Resolved by the first sync: a worker takes no request before its table is loaded.
    this.ready = new Promise((resolve) => { this.markReady = resolve; });
  }

  start() {
    this.cmd = new Redis(this.url, { maxRetriesPerRequest: 1 });
    // Subscribes by itself on every (re)connect, then reloads: see sync().
    this.sub = new Redis(this.url, { autoResubscribe: false });
    this.cmd.on('error', () => {});
    this.sub.on('error', () => {});
    this.sub.on('message', (channel, msg) => {
      this.lastHeard = Date.now();
      if (channel === CHANNEL) this.apply(msg);
    });
    this.sub.on('ready', () => this.sync());
    this.sub.on('close', () => this.lost('revocation subscription lost'));
    this.timer = setInterval(() => this.tick(), HEARTBEAT_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.sub.disconnect();
    this.cmd.disconnect();
  }

  // VALID, REVOKED, or UNKNOWN while the table cannot vouch for anything.
  check(jti, sid, userId, version) {
    if (!this.healthy) return UNKNOWN;
    const now = Math.floor(Date.now() / 1000);
    const t = this.tokens.get(jti);
    if (t !== undefined && t[1] >= now) return REVOKED;
    const s = this.sessions.get(sid);
    if (s !== undefined && s[1] >= now) return REVOKED;
    const v = this.versions.get(userId);
    if (v !== undefined && v[1] >= now && version < v[0]) return REVOKED;
    return VALID;
  }

  lost(why) {
    if (this.healthy) console.error(`express peer ${process.pid}: ${why}; authenticated requests get 503`);
    this.healthy = false;
  }

  // Subscribe first, then load: an event landing between the two is applied twice
  // (harmless) rather than missed.
  async sync() {
    try {
      await this.sub.subscribe(CHANNEL);
      await this.loadAll();
      this.healthy = true;
      this.lastHeard = Date.now();
      this.nextResync = this.lastHeard + RESYNC_MS;
      this.markReady();
    } catch {
      this.lost('cannot load revocations from Redis');
      this.sub.disconnect(true);
    }
  }

  // The heartbeat (a PING through the subscription: silence alone proves nothing), the
  // silence timeout, and the periodic rebuild that drops expired entries.
  tick() {
    if (!this.healthy) return;
    const now = Date.now();
    if (now - this.lastHeard > SILENCE_MS) {
      this.lost('revocation subscription silent');
      this.sub.disconnect(true);
      return;
    }
    this.sub.ping().then(() => { this.lastHeard = Date.now(); }, () => {});
    if (now >= this.nextResync) {
      this.nextResync = now + RESYNC_MS;
      this.compact();
      this.loadAll().catch(() => {
        this.lost('cannot resynchronise revocations');
        this.sub.disconnect(true);
      });
    }
  }

  // Values and expiries only ever grow, as in Menhir's table.
  put(map, id, value, expires) {
    const e = map.get(id);
    if (e === undefined) map.set(id, [value, expires]);
    else map.set(id, [Math.max(e[0], value), Math.max(e[1], expires)]);
  }

  // "t <jti> 1 <expires>", "s <sid> 1 <expires>" or "v <user> <min version> <expires>".
  apply(msg) {
    const m = /^([tsv]) (\S{1,63}) (-?\d+) (-?\d+)/.exec(msg);
    if (m === null) return;
    this.put(this.tableOf(m[1]), m[2], Number(m[3]), Number(m[4]));
  }

  tableOf(kind) {
    return kind === 't' ? this.tokens : kind === 's' ? this.sessions : this.versions;
  }

  compact() {
    const now = Math.floor(Date.now() / 1000);
    for (const map of [this.tokens, this.sessions, this.versions]) {
      for (const [id, e] of map) if (e[1] < now) map.delete(id);
    }
  }

  async loadAll() {
    let cursor = '0';
    do {
      // mh:rj: tokens, mh:rs: sessions, mh:tv: minimum versions.
      const [next, keys] = await this.cmd.scan(cursor, 'MATCH', 'mh:[rt][jsv]:*', 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      const p = this.cmd.pipeline();
      for (const k of keys) p.get(k).ttl(k);
      const replies = await p.exec();
      const now = Math.floor(Date.now() / 1000);
      keys.forEach((k, i) => {
        const [[e1, value], [e2, ttl]] = [replies[2 * i], replies[2 * i + 1]];
        if (e1 || e2) throw e1 || e2;
        if (value === null || ttl <= 0) return;
        this.put(this.tableOf(k[4] === 'j' ? 't' : k[4] === 's' ? 's' : 'v'), k.slice(6), Number(value), now + ttl);
      });
    } while (cursor !== '0');
  }
}
