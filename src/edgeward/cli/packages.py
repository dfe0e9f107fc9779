"""``edgeward pack | publish | pull | list | schema``: model packages, the local store and a registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from edgeward.cli.exit_codes import friendly
from edgeward.cli.options import RegistryOption, registry_url
from edgeward.cli.output import Column, JsonFlag, emit, emit_rows, err, print_json

_LIST = [Column("name"), Column("latest"), Column("versions"), Column("task")]


@contextmanager
def _transfer_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar per file (on stderr); yields ``on_progress(file, done, total)``."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=err, transient=False) as progress:
        tasks: dict[str, Any] = {}

        def update(file: str, done: int, total: int) -> None:
            if file not in tasks:
                tasks[file] = progress.add_task(file, total=total)
            progress.update(tasks[file], completed=done, total=total)

        yield update


@friendly
def pack(
    directory: Annotated[Path, typer.Argument(help="A package folder: manifest.json + the files it lists")],
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Where to write (default: the local store; --npm: .)")] = None,
    npm: Annotated[bool, typer.Option("--npm", help="Write an npm tarball (npm install ./file.tgz)")] = False,
    scope: Annotated[str, typer.Option(help="npm scope for --npm")] = "@edgeward-models",
    as_json: JsonFlag = False,
) -> None:
    """Validate a package (manifest schema, every file's size and sha256) and write it."""
    if npm:
        from edgeward.package.npm import pack_npm

        path = pack_npm(directory, output, scope)
    else:
        from edgeward.package.pack import pack as pack_package

        path = pack_package(directory, output)
    emit({"path": path, "format": "npm" if npm else "folder"}, as_json, lambda: str(path))


@friendly
def publish(
    directory: Annotated[Path, typer.Argument(help="A package folder to publish")],
    registry: Annotated[str | None, typer.Option(help="Registry URL (EDGEWARD_REGISTRY_URL)")] = None,
    token: Annotated[str | None, typer.Option(help="Bearer token (EDGEWARD_REGISTRY_TOKEN)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Upload a package's files and manifest to a registry. Published versions are immutable."""
    from edgeward.registry.client import RegistryClient
    from edgeward.settings import get_settings

    with RegistryClient(registry_url(registry), token or get_settings().registry_token) as client, \
            _transfer_progress() as progress:
        result = client.publish(directory, progress)
    emit(result, as_json, lambda: f"published {result['name']}@{result['version']}")


@friendly
def pull(
    spec: Annotated[str, typer.Argument(help="NAME@RANGE, e.g. posenet@^1, posenet@1.0.0, posenet")],
    registry: Annotated[str | None, typer.Option(help="Registry URL (EDGEWARD_REGISTRY_URL)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Resolve a version range in a registry and fetch the package into the local store, verified."""
    from edgeward.registry.client import RegistryClient, fetch_package

    with RegistryClient(registry_url(registry)) as client:
        resolved = client.resolve(spec)
        with _transfer_progress() as progress:
            path = fetch_package(client, resolved, on_progress=progress)
    data = {"name": resolved["name"], "version": resolved["version"], "path": path}
    emit(data, as_json, lambda: f"{data['name']}@{data['version']}: {path}")


@friendly
def list_(
    query: Annotated[str | None, typer.Argument(help="Only names containing this")] = None,
    registry: RegistryOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Packages in a registry (or, with none configured, in the local store)."""
    from edgeward.settings import get_settings

    url = registry or get_settings().registry_url
    if url:
        from edgeward.registry.client import RegistryClient

        with RegistryClient(url) as client:
            rows = [{k: p[k] for k in ("name", "latest", "versions", "task")} for p in client.list(query)]
    else:
        from edgeward.package.store import list_packages

        rows = [{"name": m.name, "latest": m.version, "versions": [m.version], "task": m.task}
                for m in list_packages() if not query or query in m.name]
    emit_rows(rows, _LIST, f"packages in {url or 'the local store'}", as_json)


@friendly
def schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here instead of stdout")] = None,
    federated: Annotated[bool, typer.Option("--federated", help="The federated protocol's messages instead")] = False,
) -> None:
    """Print the manifest JSON Schema (the browser validates manifests with it), or with --federated the
    federated control messages' (web/src/federated/protocol.schema.json)."""
    from edgeward.federated.protocol import federated_json_schema
    from edgeward.package.manifest import json_schema

    schema = federated_json_schema() if federated else json_schema()
    if output:
        import json

        output.write_text(json.dumps(schema, indent=2) + "\n")
    else:
        print_json(schema)
