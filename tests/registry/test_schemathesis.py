"""Property-based run of the registry's OpenAPI spec (schemathesis): no input gives a 5xx.

Bounded: at most 30 examples per operation, a few seconds in all. Requests carry the publish
token so the publish paths are exercised past authentication, against a registry that already
holds a package (so reads of it succeed as well as fail).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from edgeward.server.app import create_app
from edgeward.settings import get_settings
from tests.registry.conftest import AUTH, TOKEN, UPLOAD_LIMIT, publish

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402

_HOME = Path(tempfile.mkdtemp(prefix="edgeward-schemathesis-"))
APP = create_app(replace(get_settings(), home=_HOME, registry_token=TOKEN, registry_url=None, database_url=None,
                         blob_dir=None, max_upload_bytes=UPLOAD_LIMIT))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).include(path_regex=r"^/api/v1/")


@pytest.fixture(scope="module", autouse=True)
def seeded_registry() -> Iterator[None]:
    with TestClient(APP) as c:
        assert publish(c, "tiny", "1.0.0", b"model bytes").status_code == 201
    yield
    shutil.rmtree(_HOME, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error(case: Any) -> None:
    case.call_and_validate(headers=AUTH, checks=[not_a_server_error])
