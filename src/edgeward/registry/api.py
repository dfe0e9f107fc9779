"""The registry's HTTP API (an APIRouter mounted by ``edgeward serve``), documented by OpenAPI.

- ``GET  /api/v1/packages?q=&task=``                       list / search
- ``GET  /api/v1/packages/{name}``                         versions of one package
- ``GET  /api/v1/packages/{name}/resolve?range=^1``        resolve a version range
- ``GET  /api/v1/packages/{name}/versions/{version}``      one version: manifest + file URLs
- ``PUT  /api/v1/packages/{name}/versions/{version}``      publish (bearer token; never overwrites)
- ``GET  /api/v1/packages/{name}/versions/{version}/files/{file}``  a package folder for runtimes
- ``GET  /api/v1/blobs/{sha256}``                          immutable content-hash download (ETag, Range)
- ``PUT  /api/v1/blobs/{sha256}``                          upload a file (bearer token, size limit)
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from edgeward.package.manifest import MANIFEST_FILE, VERSION_PATTERN, json_schema
from edgeward.registry.blobs import SHA256, BlobError
from edgeward.registry.service import API, Registry, RegistryError
from edgeward.settings import Settings

IMMUTABLE = "public, max-age=31536000, immutable"
MAX_MANIFEST_BYTES = 1 << 20

NameParam = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=214,
                                description="Package name: lowercase letters, digits, '.', '_', '-'")]
VersionParam = Annotated[str, Path(pattern=VERSION_PATTERN, max_length=128,
                                   description="An exact semantic version, e.g. 1.0.0")]
DigestParam = Annotated[str, Path(pattern=SHA256.pattern, description="sha256 of the file, 64 lowercase hex digits")]
FileParam = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]+$", max_length=255,
                                description="manifest.json or a file named in the manifest")]

ERRORS: dict[int | str, dict[str, Any]] = {
    c: {"model": None, "description": d, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"detail": {"type": "string"}}}}}}
    for c, d in [(404, "Not found"), (422, "Invalid request (the message names the field)")]
}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS, 401: {"description": "No bearer token"}, 403: {"description": "Wrong token, or publishing disabled"},
    413: {"description": "Larger than the upload limit"},
}


_bearer = HTTPBearer(auto_error=False, description="The server's EDGEWARD_REGISTRY_TOKEN")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


class FileOut(BaseModel):
    path: str
    sha256: str
    bytes: int
    url: str


class PackageSummary(BaseModel):
    name: str
    task: str
    latest: str | None
    versions: list[str]


class PackageList(BaseModel):
    packages: list[PackageSummary]


class Resolved(BaseModel):
    name: str
    version: str
    manifest_sha256: str
    manifest: dict[str, Any]
    files: dict[str, FileOut]
    base_url: str
    """A folder URL runtimes can load the package from (manifest.json + files)."""


class BlobOut(BaseModel):
    sha256: str
    bytes: int
    created: bool


def _http(e: RegistryError | BlobError) -> HTTPException:
    return HTTPException(status_code=e.status, detail=str(e))


def registry_router(settings: Settings) -> APIRouter:
    registry = Registry(settings)
    router = APIRouter(prefix=API, tags=["registry"])

    def require_token(creds: Credentials) -> None:
        expected = settings.registry_token
        if not expected:
            raise HTTPException(403, "publishing is disabled on this server: start it with EDGEWARD_REGISTRY_TOKEN set")
        if creds is None:
            raise HTTPException(401, "publishing needs a bearer token (Authorization: Bearer <token>)",
                                headers={"WWW-Authenticate": "Bearer"})
        if not secrets.compare_digest(creds.credentials.encode(), expected.encode()):
            raise HTTPException(403, "the bearer token is not valid for publishing to this registry")

    def call(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except RegistryError as e:
            raise _http(e) from None

    @router.get("/packages", response_model=PackageList)
    def list_packages(q: Annotated[str | None, Query(max_length=214, description="Substring of the name")] = None,
                      task: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
        """List packages, optionally searching names and filtering by task."""
        return {"packages": call(registry.list, q, task)}

    @router.get("/packages/{name}", response_model=PackageSummary, responses=ERRORS)
    def get_package(name: NameParam) -> dict[str, Any]:
        """A package's versions (sorted by semver) and its latest release."""
        return call(registry.package, name)

    @router.get("/packages/{name}/resolve", response_model=Resolved, responses=ERRORS)
    def resolve(name: NameParam,
                range_: Annotated[str, Query(alias="range", max_length=256,
                                             description="latest, 1.2.3, ^1, ~1.2, >=1 <2, 1.x, a || b")] = "latest",
                ) -> dict[str, Any]:
        """Resolve a version range to the highest published version in it."""
        return call(registry.resolve, name, range_)

    @router.get("/packages/{name}/versions/{version}", response_model=Resolved, responses=ERRORS)
    def get_version(name: NameParam, version: VersionParam) -> dict[str, Any]:
        """One published version: its manifest and immutable file URLs."""
        return call(registry.version, name, version)

    @router.put("/packages/{name}/versions/{version}", response_model=Resolved, status_code=201,
                dependencies=[Depends(require_token)],
                responses={**AUTH_ERRORS, 409: {"description": "That version is already published"}},
                openapi_extra={"requestBody": {"required": True, "description": "The package's manifest.json "
                               f"(JSON Schema: {API}/schema/manifest.json); upload every file first.",
                               "content": {"application/json": {"schema": {"type": "object"}}}}})
    async def publish(name: NameParam, version: VersionParam, request: Request) -> dict[str, Any]:
        """Publish a version. A published version can never be overwritten (409)."""
        body = await _read_limited(request, MAX_MANIFEST_BYTES, "manifest.json")
        try:
            return await run_in_threadpool(registry.publish, name, version, body)
        except RegistryError as e:
            raise _http(e) from None

    @router.get("/packages/{name}/versions/{version}/files/{file}", responses=ERRORS)
    def package_file(name: NameParam, version: VersionParam, file: FileParam, request: Request) -> Response:
        """A published package as a folder (manifest.json + its files), for runtimes that load by URL."""
        resolved = call(registry.version, name, version)
        if file == MANIFEST_FILE:
            etag = f'"{resolved["manifest_sha256"]}"'
            if _matches(request, etag):
                return Response(status_code=304, headers={"ETag": etag, "Cache-Control": IMMUTABLE})
            return JSONResponse(resolved["manifest"], headers={"ETag": etag, "Cache-Control": IMMUTABLE})
        for entry in resolved["files"].values():
            if entry["path"] == file:
                return _blob_response(registry, entry["sha256"], request)
        raise HTTPException(404, f"{name}@{version} has no file '{file}'")

    @router.get("/blobs/{digest}", responses=ERRORS, response_class=Response)
    def get_blob(digest: DigestParam, request: Request) -> Response:
        """Download a file by content hash: immutable, ETag = the sha256, Range requests supported."""
        return _blob_response(registry, digest, request)

    router.add_api_route("/blobs/{digest}", get_blob, methods=["HEAD"], include_in_schema=False)

    @router.put("/blobs/{digest}", response_model=BlobOut, dependencies=[Depends(require_token)],
                responses={**AUTH_ERRORS, 200: {"description": "Already stored"}}, status_code=201,
                openapi_extra={"requestBody": {"required": True, "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
    async def put_blob(digest: DigestParam, request: Request, response: Response) -> dict[str, Any]:
        """Upload a file under its sha256; bytes that hash differently are refused (422)."""
        if registry.blobs.has(digest):
            response.status_code = 200
            return {"sha256": digest, "bytes": registry.blobs.path(digest).stat().st_size, "created": False}
        limit = settings.max_upload_bytes
        _check_length(request, limit, f"blob {digest}")
        try:
            size = await registry.blobs.put(digest, request.stream(), limit)
        except BlobError as e:
            raise _http(e) from None
        await run_in_threadpool(registry.record_blob, digest, size)
        return {"sha256": digest, "bytes": size, "created": True}

    @router.get("/schema/manifest.json")
    def manifest_schema() -> dict[str, Any]:
        """The manifest JSON Schema (generated from the Python definition)."""
        return json_schema()

    return router


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    return header.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in header.split(",")]


def _blob_response(registry: Registry, digest: str, request: Request) -> Response:
    path = registry.blobs.path(digest)
    if not path.is_file():
        raise HTTPException(404, f"blob {digest} not found")
    headers = {"ETag": f'"{digest}"', "Cache-Control": IMMUTABLE}
    if _matches(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type="application/octet-stream", headers=headers)


def _check_length(request: Request, limit: int, what: str) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise HTTPException(413, f"{what}: {length} bytes is larger than the upload limit of {limit} bytes")


async def _read_limited(request: Request, limit: int, what: str) -> bytes:
    _check_length(request, limit, what)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"{what}: larger than the limit of {limit} bytes")
    return bytes(body)
