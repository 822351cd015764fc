"""Scale code stays in its room: the core (protocol, storage, the domain, config, the
client, the sandbox) never touches the garbage collector; the two user interfaces pause it
at their boundary (``gcpause.py``): the TUI where tests/benchmarks/tui_scale.py showed the
need, the CLI while an answer streams in, where bench.py's fetch and parse does
(docs/scale.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import ccnow_tui

PACKAGE = Path(ccnow_tui.__file__).parent


UIS = ("tui", "cli")  # the boundary: the only packages that may pause the collector


def core_modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if not set(UIS) & set(p.relative_to(PACKAGE).parts[:-1]) and p.name != "gcpause.py"
    )


def gc_uses(path: Path) -> list[str]:
    """Imports of gc or of gcpause, and gc.<name> reads, in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name == "gc" or a.name.endswith("gcpause")]
        elif isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
            if node.module == "gc" or (node.module or "").endswith("gcpause") or "gcpause" in names:
                found.append(f"from {'.' * node.level}{node.module or ''} import {', '.join(names)}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "gc":
            found.append(f"gc.{node.attr}")
    return [f"{path.relative_to(PACKAGE)}:{use}" for use in found]


def test_the_core_never_touches_the_garbage_collector():
    modules = core_modules()
    assert any(p.name == "client.py" for p in modules) and any(p.parent.name == "protocol" for p in modules)
    assert [use for p in modules for use in gc_uses(p)] == []


def test_the_pause_lives_at_the_boundary_of_the_user_interfaces():
    assert gc_uses(PACKAGE / "gcpause.py")  # the check above does see gc when it is there
    users = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.name != "gcpause.py" and gc_uses(p))
    assert users and all(u.split("/")[0] in UIS for u in users), users
    assert "cli/output.py" in users  # the CLI's drive, round every answer it reads


# The stress size written as a number (100,000 / 100_000 / 100000 / 100k), not a part of a
# longer one (1,000,000, 100_000_000): it lives in docs/scale.md and the benchmarks only.
STRESS_SIZE = re.compile(r"(?<![\d_,.])100(?:,000|_000|000|k)(?![\d_,]|\w)", re.IGNORECASE)


def test_the_stress_size_is_written_in_the_design_note_not_in_the_code():
    found = [
        f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if STRESS_SIZE.search(line)
    ]
    assert found == []
    note = (PACKAGE.parent / "docs" / "scale.md").read_text(encoding="utf-8")
    assert STRESS_SIZE.search(note) and "stress size" in note
    assert not STRESS_SIZE.search("MAX_AMOUNT = 1,000,000; randrange(100_000_000, 300_000_000); 2100000")
    assert all(STRESS_SIZE.search(t) for t in ("100,000 orders", "a 100k-line list", "N = 100_000", "(100000)"))
