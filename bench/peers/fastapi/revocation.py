"""revocation.py - Menhir's revocation check (core/revocation.c) for one worker process: an
in-memory table of revoked token ids, revoked sessions and per-user minimum token versions,
fed by the same Redis records (mh:rj:<jti>, mh:rs:<sid>, mh:tv:<user>) and the same channel, so a check costs a
dict lookup and no round trip, like Menhir's shared-memory table. uvicorn's workers share no
memory, so each keeps its own copy. It fails closed like Menhir: while the subscription is
down or silent for 6 s, check() answers UNKNOWN and the request gets a 503."""
import asyncio
import re
import sys
import time

import redis.asyncio as aioredis

VALID, REVOKED, UNKNOWN = 0, 1, 2

CHANNEL = "mh:revocations"
HEARTBEAT = 2.0
SILENCE = 6.0
RESYNC = 60.0
RECONNECT = 1.0
_EVENT = re.compile(rb"([tsv]) (\S{1,63}) (-?[0-9]+) (-?[0-9]+)")


class Revocations:
    def __init__(self, url):
        self.url = url
        self.tokens = {}  # jti -> [1, expires (unix s)]
        self.sessions = {}  # sid -> [1, expires]
        self.versions = {}  # user id -> [minimum version, expires]
        self.healthy = False
        # Set by the first sync: a worker takes no request before its table is loaded.
        self.ready = asyncio.Event()
        self._task = None

    def start(self):
        self._task = asyncio.create_task(self._run())

    async def stop(self):
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass

    def check(self, jti, sid, user_id, version):
        """VALID, REVOKED, or UNKNOWN while the table cannot vouch for anything."""
        if not self.healthy:
            return UNKNOWN
        now = int(time.time())
        t = self.tokens.get(jti)
        if t is not None and t[1] >= now:
            return REVOKED
        s = self.sessions.get(sid)
        if s is not None and s[1] >= now:
            return REVOKED
        v = self.versions.get(user_id)
        if v is not None and v[1] >= now and version < v[0]:
            return REVOKED
        return VALID

    def _lost(self, why):
        if self.healthy:
            print(f"fastapi peer: {why}; authenticated requests get 503", file=sys.stderr)
        self.healthy = False

    async def _run(self):
        while True:
            r = aioredis.from_url(self.url, socket_timeout=5, socket_connect_timeout=2)
            try:
                await self._follow(r)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # any Redis or network failure: resubscribe and reload
                self._lost(f"revocation subscription lost ({e})")
            finally:
                await r.close(close_connection_pool=True)
            await asyncio.sleep(RECONNECT)

    async def _follow(self, r):
        """Subscribe first, then load: an event landing between the two is applied twice
        (harmless) rather than missed. Then apply events, ping through the subscription
        (silence alone proves nothing) and rebuild the table now and then."""
        ps = r.pubsub()
        await ps.subscribe(CHANNEL)
        await self._load_all(r)
        self.healthy = True
        self.ready.set()
        loop = asyncio.get_running_loop()
        heard = next_ping = loop.time()
        next_resync = heard + RESYNC
        while True:
            msg = await ps.get_message(timeout=HEARTBEAT / 2)
            now = loop.time()
            if msg is not None:
                heard = now
                if msg["type"] == "message":
                    self._apply(msg["data"])
            if now - heard > SILENCE:
                raise ConnectionError("revocation subscription silent")
            if now >= next_ping:
                await ps.ping()
                next_ping = now + HEARTBEAT
            if now >= next_resync:
                self._compact()
                await self._load_all(r)
                next_resync = now + RESYNC

    @staticmethod
    def _put(table, key, value, expires):
        """Values and expiries only ever grow, as in Menhir's table."""
        e = table.get(key)
        table[key] = [value, expires] if e is None else [max(e[0], value), max(e[1], expires)]

    def _table(self, kind):
        return {b"t": self.tokens, b"s": self.sessions}.get(kind, self.versions)

    def _apply(self, data):
        """b"t <jti> 1 <expires>", b"s <sid> 1 <expires>" or b"v <user> <version> <expires>"."""
        m = _EVENT.match(data)
        if m is not None:
            self._put(self._table(m[1]), m[2].decode(), int(m[3]), int(m[4]))

    def _compact(self):
        now = int(time.time())
        for table in (self.tokens, self.sessions, self.versions):
            for key in [k for k, e in table.items() if e[1] < now]:
                del table[key]

    async def _load_all(self, r):
        # mh:rj: tokens, mh:rs: sessions, mh:tv: minimum versions.
        async for key in r.scan_iter(match="mh:[rt][jsv]:*", count=1000):
            async with r.pipeline(transaction=False) as p:
                value, ttl = await p.get(key).ttl(key).execute()
            if value is None or ttl <= 0:
                continue
            kind = {b"j": b"t", b"s": b"s"}.get(key[4:5], b"v")
            self._put(self._table(kind), key[6:].decode(), int(value), int(time.time()) + ttl)
