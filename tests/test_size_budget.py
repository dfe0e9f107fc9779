"""Size budget: no source file past 500 lines (DESIGN.md, "Small modules"); the message names each one."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("src", "web/src", "web/apps", "scripts", "bench", "tests")
SUFFIXES = frozenset({".py", ".js", ".mjs", ".html", ".css", ".sh"})
SKIPPED = frozenset({"node_modules", "__pycache__", ".venv"})  # installed or generated, not ours
LIMIT = 500


def oversized(root: Path, limit: int = LIMIT) -> list[tuple[str, int]]:
    """(path relative to ``root``, line count) for every source file under ``root``'s ROOTS past ``limit``."""
    found = []
    for top in ROOTS:
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file() or SKIPPED & set(path.relative_to(root).parts):
                continue
            with path.open("rb") as f:
                lines = sum(1 for _ in f)
            if lines > limit:
                found.append((path.relative_to(root).as_posix(), lines))
    return found


def _report(found: list[tuple[str, int]]) -> str:
    return f"over {LIMIT} lines (split by responsibility): " + "; ".join(f"{p}: {n} lines" for p, n in found)


def test_no_source_file_passes_the_budget() -> None:
    found = oversized(REPO)
    assert not found, _report(found)


def test_the_check_fails_on_a_501_line_file(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "web" / "apps" / "node_modules").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "big.py").write_text("x = 1\n" * 501)
    (tmp_path / "src" / "pkg" / "ok.py").write_text("x = 1\n" * 500)  # at the limit is fine
    (tmp_path / "src" / "pkg" / "data.json").write_text("1\n" * 900)  # not source
    (tmp_path / "web" / "apps" / "node_modules" / "dep.js").write_text("x;\n" * 900)  # installed, not ours
    found = oversized(tmp_path)
    assert found == [("src/pkg/big.py", 501)]
    assert "src/pkg/big.py: 501 lines" in _report(found)
