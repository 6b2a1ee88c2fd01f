"""config.py - the peer's settings, from the environment (bench/peers/start sets them from the
stack's env file and menhir.conf), and the stack's public signing keys by kid."""
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_public_key

_CONNINFO = re.compile(r"\s*([a-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|((?:[^\s'\\]|\\.)+))\s*")
_CONNINFO_NAMES = {"host": "host", "port": "port", "dbname": "database", "user": "user",
                   "password": "password"}


def parse_conninfo(s):
    """A libpq conninfo ("host='/run/x' port=5432 user=app password='it\\'s'") or a
    postgres:// URL, as asyncpg.create_pool() arguments. The stack describes its database the
    libpq way."""
    if re.match(r"postgres(ql)?://", s):
        return {"dsn": s}
    out, at = {}, 0
    while at < len(s):
        m = _CONNINFO.match(s, at)
        if m is None:
            raise ValueError("PEER_DATABASE is not a libpq conninfo")
        value = re.sub(r"\\(.)", r"\1", m.group(2) if m.group(2) is not None else m.group(3))
        if m.group(1) in _CONNINFO_NAMES:
            out[_CONNINFO_NAMES[m.group(1)]] = value
        at = m.end()
    if "port" in out:
        out["port"] = int(out["port"])
    return out


def _load_keys(folder):
    """Every <kid>.pub.pem of Menhir's keys_dir: tokens name their key, and a rotated-out key
    keeps verifying until it is removed, as in Menhir's keyring."""
    keys = {p.name[:-len(".pub.pem")]: load_pem_public_key(p.read_bytes())
            for p in Path(folder).glob("*.pub.pem")}
    if not keys:
        raise ValueError(f"no *.pub.pem in {folder}")
    return keys


@dataclass(frozen=True)
class Config:
    database: dict
    pool_size: int
    redis_url: str
    issuer: str
    audience: str
    max_ttl: int  # Menhir's access_token_ttl: no token may claim to live longer
    keys: dict
    retry_after: str


def load_config():
    env = os.environ
    return Config(
        database=parse_conninfo(env["PEER_DATABASE"]),
        pool_size=int(env.get("PEER_POOL_SIZE", "10")),
        redis_url=env["PEER_REDIS_URL"],
        issuer=env["PEER_JWT_ISSUER"],
        audience=env["PEER_JWT_AUDIENCE"],
        max_ttl=int(env.get("PEER_ACCESS_TOKEN_TTL", "900")),
        keys=_load_keys(env["PEER_KEYS_DIR"]),
        retry_after=env.get("PEER_RETRY_AFTER", "5"),
    )
