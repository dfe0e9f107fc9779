"""FastAPI app serving the browser runtime, the demo apps, onnxruntime-web and model packages.

Every response is cross-origin isolated (COOP/COEP/CORP) so onnxruntime-web can use WASM threads.
Files are served only from fixed roots, by names that cannot escape them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from starlette.staticfiles import NotModifiedResponse, StaticFiles

from edgeward.errors import EdgewardError
from edgeward.federated.api import federated_router
from edgeward.package.manifest import MANIFEST_FILE, read_manifest
from edgeward.package.store import list_packages, package_dir
from edgeward.registry.api import registry_router
from edgeward.server.bundles import Bundles
from edgeward.settings import Settings, get_settings
from edgeward.vendor import ONNXRUNTIME_WEB, check_runtime_files, tfjs_node_modules

ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}

# What the runtime needs, found by testing in Chromium (tests/browser/test_integrity.py checks no
# violation is reported): onnxruntime-web compiles WebAssembly ('wasm-unsafe-eval', in the page and in
# the worker, which gets this header on its own script); its threaded build starts its pthread
# workers from its own same-origin .mjs URL (worker-src 'self'; it would use a blob: URL only when
# loaded from another origin); pictures and videos the user picks are shown through blob: URLs.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    "connect-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "style-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])

# The bench page (web/apps/bench/) also runs TF.js as its users run it: tfjs-backend-wasm's threaded
# build starts its pthread workers from blob: URLs (its main script is a blob: too). Only that page
# gets blob: scripts and workers; the Edgeward runtime and the other apps need no such relaxation.
BENCH_PATH_PREFIX = "/apps/bench/"
BENCH_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self' 'wasm-unsafe-eval'", "script-src 'self' 'wasm-unsafe-eval' blob:").replace(
    "worker-src 'self'", "worker-src 'self' blob:")

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# Package files, and the registry reads that find them (resolve a range, a version's record), may be
# fetched by apps on other origins (which may be cross-origin isolated themselves, e.g. a Vite app using
# @edgeward/runtime's resolvePackage): they are served with CORS and a cross-origin resource policy.
PACKAGE_FILE_HEADERS = {
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Content-Length, Content-Range, Accept-Ranges",
}
_PACKAGE_FILE_PATH = re.compile(r"^/models/[^/]+/[^/]+/[^/]+$"
                                r"|^/api/v\d+/(blobs/[^/]+|packages/.+/files/.+|packages/[^/]+/(resolve|versions/[^/]+))$")


def is_package_file(path: str) -> bool:
    """Whether ``path`` is a package file or a registry read that finds one (served with CORS, CORP cross-origin)."""
    return bool(_PACKAGE_FILE_PATH.match(path))


MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".onnx": "application/octet-stream",
    ".map": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")


def _not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"{what} not found")


def safe_file(root: Path, rel: str) -> Path:
    """``root/rel`` if every segment is a plain name and the file exists inside root; else 404."""
    parts = [p for p in rel.split("/") if p]
    if not parts or any(not _SEGMENT.match(p) for p in parts):
        raise _not_found(rel or "/")
    path = root.joinpath(*parts)
    try:
        resolved = path.resolve(strict=True)
        resolved.relative_to(root.resolve())
    except (OSError, ValueError):
        raise _not_found(rel) from None
    if not resolved.is_file():
        raise _not_found(rel)
    return resolved


# Starlette's own conditional-request check (If-None-Match, else If-Modified-Since) and its 304 response;
# the instance serves no directory, it only lends the method.
_CONDITIONAL = StaticFiles(check_dir=False)


def file_response(path: Path, request: Request, cache: str = "no-cache") -> Response:
    """The file, or 304 Not Modified where the browser's copy is current: files served ``no-cache`` are
    revalidated on every use, which then costs a round trip, not the bytes (onnxruntime-web's 14 MB .wasm)."""
    media_type = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    response = FileResponse(path, media_type=media_type, headers={"Cache-Control": cache}, stat_result=path.stat())
    if _CONDITIONAL.is_not_modified(response.headers, request.headers):
        return NotModifiedResponse(response.headers)
    return response


def _mount_static(app: FastAPI, prefix: str, root: Path | Callable[[], Path | None],
                  bundles: Bundles | None = None) -> None:
    """Files under ``root``; a callable root is looked up per request (None: not installed yet, 404).
    ``bundles``: a URL with an up-to-date build (web/dist, see bundles.py) is answered with its bundle."""
    async def static(rel: str, request: Request) -> Response:
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        built = bundles.lookup(f"{prefix}/{rel}") if bundles is not None else None
        if built is not None:
            return file_response(built, request)
        folder = root() if callable(root) else root
        if folder is None:
            raise HTTPException(404, f"{prefix}/ is not installed yet: `edgeward bench` fetches it")
        return file_response(safe_file(folder, rel), request)

    app.add_api_route(f"{prefix}/{{rel:path}}", static, methods=["GET", "HEAD"], include_in_schema=False)


def create_app(settings: Settings | None = None, bundled: bool = True) -> FastAPI:
    """The server. ``bundled=False``: the pages' modules as they are, never web/dist's bundles (bundles.py)."""
    settings = settings or get_settings()
    app = FastAPI(title="Edgeward", docs_url=None, redoc_url=None)
    packages = settings.packages_dir

    @app.middleware("http")
    async def isolate(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.update(ISOLATION_HEADERS)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if is_package_file(request.url.path):
            response.headers.update(PACKAGE_FILE_HEADERS)
        if request.url.path.startswith(BENCH_PATH_PREFIX):
            response.headers["Content-Security-Policy"] = BENCH_CONTENT_SECURITY_POLICY
        if request.url.path.endswith("/ort-sw.js") and request.url.path.startswith("/apps/"):
            # the apps' onnxruntime-web service worker (web/apps/kit/ort-sw.js) may control
            # exactly the onnxruntime-web folder, where the pthread workers' script lives
            response.headers["Service-Worker-Allowed"] = "/vendor/onnxruntime-web/"
        return response

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/apps/playground/")

    apps = settings.web_root / "apps"

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/apps/{name}", include_in_schema=False)
    async def app_without_slash(name: str, request: Request) -> Response:
        if _SEGMENT.match(name) and (apps / name).is_dir():
            return RedirectResponse(f"/apps/{name}/")
        return file_response(safe_file(apps, name), request)

    @app.get("/models/index.json")
    async def models_index() -> JSONResponse:
        manifests = list_packages(packages) if packages.is_dir() else []
        items = [
            {"name": m.name, "version": m.version, "task": m.task, "url": f"/models/{m.name}/{m.version}/"}
            for m in manifests
        ]
        return JSONResponse({"packages": items}, headers={"Cache-Control": "no-cache"})

    @app.api_route("/models/{name}/{version}/{file}", methods=["GET", "HEAD"], include_in_schema=False)
    async def model_file(name: str, version: str, file: str, request: Request) -> Response:
        if not _NAME.match(name) or not (version == "latest" or _VERSION.match(version)):
            raise _not_found(f"package {name}@{version}")
        try:
            folder = package_dir(name if version == "latest" else f"{name}@{version}", packages)
        except EdgewardError:
            raise _not_found(f"package {name}@{version}") from None
        if file != MANIFEST_FILE:
            listed = {e.path for e in read_manifest(folder / MANIFEST_FILE).files.values()}
            if file not in listed:
                raise _not_found(f"{name}@{version}/{file}")
        # Revalidated (ETag) every time: a rebuilt package must never be shadowed by a stale copy.
        return file_response(safe_file(folder, file), request)

    app.include_router(registry_router(settings))
    app.include_router(federated_router(settings))
    bundles = Bundles(settings.web_root) if bundled else None  # the pages' and workers' bundles, while up to date
    _mount_static(app, "/apps", apps, bundles)
    _mount_static(app, "/runtime", settings.web_root / "src", bundles)
    _mount_static(app, "/vendor/onnxruntime-web", settings.node_modules / ONNXRUNTIME_WEB / "dist")
    # TF.js, for `edgeward bench`'s baseline page (web/apps/bench/): the checkout's dev dependencies, or the
    # copy the bench fetches into EDGEWARD_HOME (edgeward.vendor); looked up per request, as it may come later.
    for prefix, package in [("/vendor/tfjs", "@tensorflow/tfjs"), ("/vendor/tfjs-backend-wasm",
                            "@tensorflow/tfjs-backend-wasm"), ("/vendor/posenet", "@tensorflow-models/posenet")]:
        _mount_static(app, prefix, partial(_tfjs_dist, settings, package))

    @app.api_route("/tfjs-models/{name}/{version}/{file}", methods=["GET", "HEAD"], include_in_schema=False)
    async def tfjs_model_file(name: str, version: str, file: str, request: Request) -> Response:
        """The original TF.js model (model.json + shards) a store package was converted from (bench only)."""
        from edgeward.bench.tfjs_source import installed_model_json, model_files

        if not _NAME.match(name) or not _VERSION.match(version):
            raise _not_found(f"package {name}@{version}")
        try:
            manifest = read_manifest(package_dir(f"{name}@{version}", packages) / MANIFEST_FILE)
        except EdgewardError:
            raise _not_found(f"package {name}@{version}") from None
        model_json = installed_model_json(manifest, settings.npm_dir)
        if model_json is None or file not in model_files(model_json):
            raise _not_found(f"TF.js model file {name}@{version}/{file}")
        return file_response(safe_file(model_json.parent, file), request)

    return app


def _tfjs_dist(settings: Settings, package: str) -> Path | None:
    try:
        node_modules = tfjs_node_modules(settings, fetch=False)
    except EdgewardError:  # no pinned versions to look for: as good as not installed
        return None
    return node_modules / package / "dist" if node_modules else None


KEEP_ALIVE_S = 65


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None) -> None:
    import uvicorn

    check_runtime_files(settings)  # before binding: a playground without its engine is no use
    # Keep idle connections longer than clients do (httpx drops its own after 5 s, browsers after more):
    # with uvicorn's 5 s default both ends close at once and a request sent on the closing connection
    # fails with "server disconnected" — seen with 200 federated clients held in one round.
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", timeout_keep_alive=KEEP_ALIVE_S)
