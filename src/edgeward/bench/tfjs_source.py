"""The original TF.js graph model a zoo package was converted from (its provenance), for the bench.

Packages built from npm record ``provenance.source = "npm:NAME@VERSION/PATH/model.json"``. The bench
page loads that model.json and its weight shards from ``/tfjs-models/NAME/VERSION/FILE``; the server
serves only files listed by the model.json of an npm package already installed in the Edgeward home.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from edgeward.package.manifest import Manifest

_NPM_SOURCE = re.compile(r"^npm:((?:@[a-z0-9._-]+/)?[a-z0-9._-]+)@([0-9][0-9A-Za-z.+-]*)/([A-Za-z0-9_./-]+\.json)$")
_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")


def npm_source(manifest: Manifest) -> tuple[str, str, str] | None:
    """(npm name, version, path of model.json in the package), or None when not from a TF.js npm model."""
    m = _NPM_SOURCE.match(manifest.provenance.source or "")
    return (m.group(1), m.group(2), m.group(3)) if m else None


def installed_model_json(manifest: Manifest, npm_dir: Path) -> Path | None:
    """The original model.json if its npm package is installed under ``npm_dir`` (never installs)."""
    src = npm_source(manifest)
    if src is None:
        return None
    name, version, rel = src
    path = npm_dir / f"{name.replace('/', '__')}@{version}" / "node_modules" / name / rel
    return path if path.is_file() else None


def model_files(model_json: Path) -> set[str]:
    """model.json and the weight shards it lists, all plain names beside it (others are left out)."""
    files = {model_json.name}
    data = json.loads(model_json.read_text())
    for group in data.get("weightsManifest", []):
        files.update(p for p in group.get("paths", []) if _PLAIN.match(p))
    return files
