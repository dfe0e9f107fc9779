"""What every fuzz target shares: the Hypothesis profiles and the one rule, enforced per example.

The rule: a parser given anything either succeeds or raises an ``EdgewardError`` subclass whose
message names the file or field; never another exception type, never a hang, never a memory blow-up.

Profiles (``HYPOTHESIS_PROFILE``): ``ci`` (default; 200 examples per target, derandomized so every run
tries the same cases, in the normal suite) and ``long`` (10,000 examples, random seed; run by hand, one
target at a time, e.g. ``HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest -q tests/fuzz/test_semver_fuzz.py``).
"""

from __future__ import annotations

import os
import re
import resource
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings

from edgeward.errors import EdgewardError

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", max_examples=200, deadline=timedelta(seconds=5), derandomize=True, database=None,
                          suppress_health_check=_QUIET, print_blob=True)
settings.register_profile("long", max_examples=10_000, deadline=timedelta(seconds=5), database=None,
                          suppress_health_check=_QUIET, print_blob=True)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
FUZZ = settings.get_profile(PROFILE)
"""Decorate each fuzz test with it (``@FUZZ``), so the profile applies to the fuzz targets only."""

HARD_SECONDS = 30.0
"""An example still running after this is a hang (Hypothesis's ``deadline`` only judges finished ones)."""
MEMORY_MB = 256
"""Default rise of the process's peak RSS one example may cause."""

T = TypeVar("T")


class Hang(BaseException):
    """An example ran past its hard limit (a BaseException, so no ``except Exception`` can swallow it)."""


class MemoryBlowUp(AssertionError):
    """An example raised the process's peak resident memory by more than its budget."""


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        found = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M)
    assert found, f"/proc/self/status has no {field}"
    return int(found[1])


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs), so the next read is this example's peak;
    False where the kernel does not let us (the RLIMIT_AS net below still holds)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


@contextmanager
def hard_limit(seconds: float = HARD_SECONDS, memory_mb: int = MEMORY_MB) -> Iterator[None]:
    """Run the body under a wall-clock alarm and measure its peak-RSS rise (``Hang`` / ``MemoryBlowUp``)."""
    def alarm(_signum: int, _frame: Any) -> None:
        raise Hang(f"the example ran past its hard limit of {seconds:g} s")

    measured = _reset_peak()
    before = _status_kb("VmRSS")
    # A safety net under the measurement: address space past a generous headroom is refused (a MemoryError,
    # which fails the example), so a runaway allocation cannot take the machine's memory first.
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _status_kb("VmSize") * 1024 + max(8 * 1024**3, 8 * memory_mb * 1024**2)
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:  # also when the body raised: a blow-up that ends in an error is still a blow-up
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        rise = (_status_kb("VmHWM") - before) / 1024 if measured else 0.0
        if rise > memory_mb:
            raise MemoryBlowUp(f"the example raised peak memory by {rise:.0f} MB (budget {memory_mb} MB)")


def outcome(fn: Callable[[], T], *, names: list[str], seconds: float = HARD_SECONDS,
            memory_mb: int = MEMORY_MB) -> T | EdgewardError:
    """``fn()``'s value, or the EdgewardError it raised, once checked that the message names one of
    ``names`` (the file or field at fault). Any other exception, a hang or a blow-up fails the example."""
    started = time.perf_counter()
    try:
        with hard_limit(seconds, memory_mb):
            return fn()
    except EdgewardError as err:
        message = str(err)
        assert message.strip(), f"{type(err).__name__} with an empty message"
        assert any(n in message for n in names), (
            f"{type(err).__name__} does not name any of {names}: {message!r} "
            f"(after {time.perf_counter() - started:.2f} s)")
        return err
