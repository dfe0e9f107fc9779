"""The coordinator's HTTP API (an APIRouter mounted by ``edgeward serve``), documented by OpenAPI.

- ``POST /api/v1/federated/tasks``                      create a task (registry bearer token); publishes TASK@1.0.0
- ``GET  /api/v1/federated/tasks``                      task names
- ``GET  /api/v1/federated/tasks/{task}``               spec, round, current version, client count
- ``GET  /api/v1/federated/tasks/{task}/round``         the current round (RoundInfo)
- ``GET  /api/v1/federated/tasks/{task}/version``       the current version: a registry NAME@VERSION
- ``POST /api/v1/federated/tasks/{task}/join``          JoinRequest → client id + token (kept as a sha256)
- ``POST /api/v1/federated/tasks/{task}/checkin``       client token → the round and whether it is sampled
- ``POST /api/v1/federated/tasks/{task}/updates``       client token; header JSON in ``X-Edgeward-Update``,
                                                        body raw little-endian float32 (application/octet-stream)
- ``POST /api/v1/federated/tasks/{task}/close``         close the round now if the rules allow (registry token)
- ``GET  /api/v1/federated/tasks/{task}/dashboard``     rounds, sampled / returned / refused, norms, ε so far
- ``GET  /api/v1/federated/schema/protocol.json``       the protocol's JSON Schema

A refused update is a 4xx whose JSON body is a ``Refusal``: ``{code, status, detail}`` (codes in
validate.REFUSALS). The body of an update is refused with 413 before it is read past the task's
exact payload size (4 × P bytes).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from edgeward.errors import FederatedError, UpdateRefusedError
from edgeward.federated.protocol import (
    Assignment,
    JoinRequest,
    JoinResponse,
    Refusal,
    RoundInfo,
    TaskSpec,
    UpdateReceipt,
    federated_json_schema,
)
from edgeward.federated.service import CoordinatorError, FederatedService
from edgeward.registry.service import API
from edgeward.settings import Settings

PREFIX = f"{API}/federated"
UPDATE_HEADER = "X-Edgeward-Update"
T = TypeVar("T")

TaskParam = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=214, description="The task's name")]

_ERRORS: dict[int | str, dict[str, Any]] = {404: {"description": "No such task"}, 422: {"description": "Invalid"}}
_REFUSALS: dict[int | str, dict[str, Any]] = {
    **{s: {"model": Refusal, "description": d} for s, d in [
        (401, "Unknown client or wrong token (code 'token')"), (403, "Not sampled for this round"),
        (409, "Stale round or version, duplicate, round full or closed"), (413, "Payload over 4 × P bytes"),
        (422, "Bad header, dtype, shape, length, digest, NaN/Inf or norm"), (429, "Rate limit")]},
    404: {"description": "No such task"}}

_registry_bearer = HTTPBearer(auto_error=False, scheme_name="registry token",
                              description="The server's EDGEWARD_REGISTRY_TOKEN")
_client_bearer = HTTPBearer(auto_error=False, scheme_name="client token",
                            description="The token a client got from join")
ClientCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_client_bearer)]


class VersionOut(BaseModel):
    task: str
    version: int
    """The coordinator's version number: 0 the initial head, r the aggregate of round r."""
    package: str
    """NAME@X.Y.Z in this server's registry (fetch it like any package: resolve, verify, cache)."""
    name: str
    semver: str
    base_url: str
    """The version as a folder runtimes load (manifest.json + files)."""
    finished: bool


class TaskOut(VersionOut):
    spec: dict[str, Any]
    round: RoundInfo
    clients: int
    param_count: int
    update_bytes: int
    """An update's payload is exactly this many bytes (param_count float32)."""


class TaskList(BaseModel):
    tasks: list[str]


def _refused(e: UpdateRefusedError) -> JSONResponse:
    body = Refusal(code=e.code, status=e.http_status, detail=str(e)).model_dump()
    headers = {"WWW-Authenticate": "Bearer"} if e.http_status == 401 else None
    return JSONResponse(body, status_code=e.http_status, headers=headers)


async def _call(fn: Callable[..., T], *args: Any) -> T | JSONResponse:
    """Run a service call in the thread pool; its errors become the 4xx that names them."""
    try:
        return await run_in_threadpool(fn, *args)
    except UpdateRefusedError as e:
        return _refused(e)
    except CoordinatorError as e:
        raise HTTPException(e.status, str(e)) from None
    except FederatedError as e:
        raise HTTPException(422, str(e)) from None


def _token(creds: HTTPAuthorizationCredentials | None) -> str | None:
    return creds.credentials if creds is not None else None


def federated_router(settings: Settings, service: FederatedService | None = None) -> APIRouter:
    service = service or FederatedService(settings)
    router = APIRouter(prefix=PREFIX, tags=["federated"])

    def require_token(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_registry_bearer)]) -> None:
        expected = settings.registry_token
        if not expected:
            raise HTTPException(403, "federated tasks are disabled on this server: start it with "
                                     "EDGEWARD_REGISTRY_TOKEN set")
        if creds is None:
            raise HTTPException(401, "this needs the registry's bearer token (Authorization: Bearer <token>)",
                                headers={"WWW-Authenticate": "Bearer"})
        if not secrets.compare_digest(creds.credentials.encode(), expected.encode()):
            raise HTTPException(403, "the bearer token is not this registry's token")

    @router.post("/tasks", response_model=TaskOut, status_code=201, dependencies=[Depends(require_token)],
                 responses={401: {"description": "No token"}, 403: {"description": "Wrong token"},
                            409: {"description": "The task (or its package name) exists"}})
    async def create_task(spec: TaskSpec, seed: Annotated[int, Query(ge=0, lt=2**32,
                          description="Seeds the initial head (version 0)")] = 0) -> Any:
        """Create a task; its initial head is published at once as TASK@1.0.0 in the registry."""
        return await _call(service.create_task, spec.model_dump(mode="json"), seed)

    @router.get("/tasks", response_model=TaskList)
    async def list_tasks() -> Any:
        """Names of the tasks on this server."""
        return {"tasks": await run_in_threadpool(service.task_names)}

    @router.get("/tasks/{task}", response_model=TaskOut, responses=_ERRORS)
    async def get_task(task: TaskParam) -> Any:
        """The task's spec, its current round and version, and how many clients joined."""
        return await _call(service.task_info, task)

    @router.get("/tasks/{task}/round", response_model=RoundInfo, responses=_ERRORS)
    async def get_round(task: TaskParam) -> Any:
        """The current round; ``package`` is the version to train from (closes a round past its deadline)."""
        return await _call(service.round_info, task)

    @router.get("/tasks/{task}/version", response_model=VersionOut, responses=_ERRORS)
    async def get_version(task: TaskParam) -> Any:
        """The newest published version, a registry package NAME@VERSION."""
        return await _call(service.current_version, task)

    @router.post("/tasks/{task}/join", response_model=JoinResponse, status_code=201, responses=_ERRORS)
    async def join(task: TaskParam, request: JoinRequest) -> Any:
        """Join a task: a client id and a token to send with every later request (only its sha256 is kept)."""
        return await _call(service.join, task, request.model_dump(mode="json"))

    @router.post("/tasks/{task}/checkin", response_model=Assignment, responses=_REFUSALS)
    async def checkin(task: TaskParam, creds: ClientCredentials) -> Any:
        """The current round and whether this client takes part in it (DP sampling)."""
        return await _call(service.checkin, task, _token(creds))

    @router.post("/tasks/{task}/updates", response_model=UpdateReceipt, status_code=201, responses=_REFUSALS,
                 openapi_extra={"requestBody": {"required": True, "description": "The delta (new − old parameters) "
                                "as raw little-endian float32, exactly update_bytes bytes",
                                "content": {"application/octet-stream": {"schema": {
                                    "type": "string", "format": "binary"}}}}})
    async def post_update(task: TaskParam, request: Request, creds: ClientCredentials,
                          header: Annotated[str | None, Header(alias=UPDATE_HEADER, description=(
                              "The UpdateHeader as compact JSON"), max_length=16384)] = None) -> Any:
        """Send one update for the current round. Refusals are 4xx with a Refusal body naming the problem."""
        try:
            cap = await run_in_threadpool(service.update_bytes, task)
        except CoordinatorError as e:
            raise HTTPException(e.status, str(e)) from None
        payload = await _read_capped(request, cap, task)
        if isinstance(payload, UpdateRefusedError):
            try:
                await run_in_threadpool(service.count_refusal, task, _token(creds), payload.code)
            except UpdateRefusedError as e:
                return _refused(e)
            return _refused(payload)
        return await _call(service.submit, task, _token(creds), header, payload)

    @router.post("/tasks/{task}/close", dependencies=[Depends(require_token)],
                 responses={**_ERRORS, 409: {"description": "The round may not close yet"}})
    async def close(task: TaskParam) -> Any:
        """Close the round now, if its rules allow it (the server also closes rounds on its own)."""
        return await _call(service.close, task)

    @router.get("/tasks/{task}/dashboard", responses=_ERRORS)
    async def dashboard(task: TaskParam) -> Any:
        """Rounds (sampled, returned, refused by code, update norms, clients' own metrics), ε so far."""
        return await _call(service.dashboard, task)

    @router.get("/schema/protocol.json")
    async def protocol_schema() -> dict[str, Any]:
        """The federated protocol's JSON Schema (every message under $defs)."""
        return federated_json_schema()

    return router


async def _read_capped(request: Request, cap: int, task: str) -> bytes | UpdateRefusedError:
    """The body, or the refusal when it is over ``cap`` bytes: by Content-Length before reading any of
    it, else as soon as the stream passes the cap (the rest is never read)."""
    from edgeward.federated.validate import refusal

    def too_large(size: str) -> UpdateRefusedError:
        return refusal("too_large", f"task '{task}': an update's payload is exactly {cap} bytes "
                                    f"({cap // 4} float32); this body is {size}")

    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > cap:
        return too_large(f"{length} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            return too_large(f"over {cap} bytes")
    return bytes(body)
