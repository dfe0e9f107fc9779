"""Every bad update is refused with its own code and HTTP status before it counts."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

import numpy as np
import pytest

from edgeward.errors import UpdateRefusedError
from edgeward.federated.protocol import RoundInfo, UpdateHeader
from edgeward.federated.validate import REFUSALS, check_update, decode, encode, refusal
from tests.federated.helpers import P, header, task

TASK = task()
ROUND = RoundInfo(task="tiny", round=3, state="collecting", base_version=2, deadline=100.0, clients_per_round=3,
                  min_updates=2)
GOOD = np.linspace(-0.5, 0.5, P).astype(np.float32)


def refused(h: UpdateHeader, payload: bytes, round: RoundInfo = ROUND, max_bytes: int = 1024) -> UpdateRefusedError:
    with pytest.raises(UpdateRefusedError) as err:
        check_update(h, payload, TASK, round, max_bytes=max_bytes)
    return err.value


def test_a_good_update_comes_back_as_its_float32_delta() -> None:
    delta = check_update(header(GOOD, round=3, base_version=2), encode(GOOD), TASK, ROUND, max_bytes=1024)
    assert delta.dtype == np.float32
    np.testing.assert_array_equal(delta, GOOD)


def test_the_wire_format_is_little_endian_float32() -> None:
    assert encode(np.array([1.0, -2.5])) == struct.pack("<2f", 1.0, -2.5)
    assert decode(struct.pack("<2f", 1.0, -2.5)).tolist() == [1.0, -2.5]


@pytest.mark.parametrize(("make", "code", "status", "message"), [
    (lambda: (header(round=2, base_version=2), encode(GOOD)), "stale", 409, "round 2; the current round is 3"),
    (lambda: (header(round=3, base_version=1), encode(GOOD)), "stale", 409, "from version 1"),
    (lambda: (header(round=3, base_version=2, task="other"), encode(GOOD)), "task", 422, "task 'other'"),
    (lambda: (header(round=3, base_version=2), b"\0" * 2048), "too_large", 413, "2048 bytes is over the cap"),
    (lambda: (header(round=3, base_version=2, dtype="float64"), encode(GOOD)), "dtype", 422, "'float64'"),
    (lambda: (header(round=3, base_version=2, shape=[P + 1]), encode(GOOD)), "shape", 422, "8 parameters"),
    (lambda: (header(round=3, base_version=2, shape=[2, 4]), encode(GOOD)), "shape", 422, r"\[2, 4\]"),
    (lambda: (header(round=3, base_version=2), encode(GOOD)[:-4]), "length", 422, "28 bytes"),
    (lambda: (header(round=3, base_version=2, payload_sha256="0" * 64), encode(GOOD)), "digest", 422, "hashes"),
    (lambda: (header(round=3, base_version=2), encode(np.r_[GOOD[:5], np.nan, np.inf, 0])), "nan", 422,
     "2 NaN/Inf value\\(s\\), the first at index 5"),
    (lambda: (header(round=3, base_version=2), encode(np.full(P, 4.0))), "norm", 422, "norm 11.3137 is over"),
])
def test_each_bad_update_gets_its_code_and_status(make: Callable[[], tuple[UpdateHeader, bytes]], code: str,
                                                  status: int, message: str) -> None:
    err = refused(*make())
    assert (err.code, err.http_status) == (code, status)
    assert isinstance(err, REFUSALS[code])
    assert re.search(message, str(err)), str(err)


def test_a_closed_round_takes_nothing() -> None:
    closed = ROUND.model_copy(update={"state": "aggregating"})
    err = refused(header(GOOD, round=3, base_version=2), encode(GOOD), closed)
    assert (err.code, err.http_status) == ("closed", 409)


def test_the_norm_cap_is_ten_clip_norms_by_default() -> None:
    at_cap = np.zeros(P, dtype=np.float32)
    at_cap[0] = 10.0  # exactly 10 × clip_norm 1.0: allowed
    check_update(header(round=3, base_version=2), encode(at_cap), TASK, ROUND, max_bytes=1024)
    at_cap[0] = 10.01
    assert refused(header(round=3, base_version=2), encode(at_cap)).code == "norm"


def test_every_code_maps_to_a_4xx() -> None:
    statuses = {code: cls.http_status for code, cls in REFUSALS.items()}
    assert statuses["duplicate"] == statuses["stale"] == 409
    assert statuses["token"] == 401 and statuses["rate"] == 429 and statuses["too_large"] == 413
    assert all(400 <= s < 500 for s in statuses.values())
    assert refusal("rate", "slow down").code == "rate"
