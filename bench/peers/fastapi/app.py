"""app.py - Menhir's GET /api/v1/ping and GET /api/v1/documents in FastAPI, for bench/run's
comparison rows. uvicorn runs it with uvloop and httptools, one worker process per core
(bench/peers/start); each worker has its own asyncpg pool and revocation table and takes no
request before both are ready. Configuration: config.py. `python3 app.py --print-sql` prints
the statements of a list page (bench/peers/check compares them with Menhir's)."""
import sys

from fastapi import Depends, FastAPI, Request
from starlette.exceptions import HTTPException

from auth import Authenticated
from documents import ENTER_SQL, LIST_SQL, PLAN_SQL, create_pool, list_page, parse_list_query
from errors import ApiError, envelope, reply

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
viewer = Authenticated("viewer")


@app.on_event("startup")
async def startup():
    # Imported here: `--print-sql` needs neither the settings nor Redis.
    from config import load_config
    from revocation import Revocations

    app.state.config = load_config()
    app.state.pool = await create_pool(app.state.config)
    app.state.revocations = Revocations(app.state.config.redis_url)
    app.state.revocations.start()
    await app.state.revocations.ready.wait()


@app.on_event("shutdown")
async def shutdown():
    await app.state.revocations.stop()
    await app.state.pool.close()


@app.exception_handler(ApiError)
async def api_error(request: Request, e: ApiError):
    return envelope(request, e)


@app.exception_handler(HTTPException)
async def http_error(request: Request, e: HTTPException):
    if e.status_code == 405:
        return envelope(request, ApiError(405, "method_not_allowed",
                                          "this endpoint does not support that method",
                                          headers=e.headers))
    return envelope(request, ApiError(404, "not_found", "no such endpoint"))


@app.exception_handler(Exception)
async def internal_error(request: Request, e: Exception):
    print(f"fastapi peer: {request.method} {request.url.path}: {e!r}", file=sys.stderr)
    return envelope(request, ApiError(500, "internal_error", "an internal error occurred"))


@app.get("/api/v1/ping")
async def ping(request: Request):
    return reply(request, {"data": {"status": "ok"}})


@app.get("/api/v1/documents")
async def list_documents(request: Request, principal: dict = Depends(viewer)):
    limit, after = parse_list_query(request.query_params.multi_items())
    page = await list_page(request.app.state.pool, request.app.state.config, principal,
                           limit, after)
    return reply(request, page)


if __name__ == "__main__" and sys.argv[1:] == ["--print-sql"]:
    print(LIST_SQL)
    print(PLAN_SQL)
    print(ENTER_SQL)
