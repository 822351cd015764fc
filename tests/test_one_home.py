"""One home per concept: no two classes of the package share a name.

Two classes of one name (two ``Verdict`` enums, one for reconciling and one for a label
file's rows) read as one concept at every use and drift apart as two. Read from the
source (the AST), so a class defined anywhere counts.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import ccnow_tui

PACKAGE_DIR = Path(ccnow_tui.__file__).resolve().parent


def class_homes(root: Path) -> dict[str, list[str]]:
    homes: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ClassDef):
                homes[node.name].append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return homes


def test_no_two_classes_of_the_package_share_a_name():
    twice = {name: where for name, where in class_homes(PACKAGE_DIR).items() if len(where) > 1}
    assert not twice, "\n".join(f"{name}: {', '.join(where)}" for name, where in sorted(twice.items()))


def test_the_check_would_notice(tmp_path: Path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("class Verdict:\n    pass\n")
    (package / "sub" / "b.py").write_text("def f():\n    class Verdict:\n        pass\n")
    assert class_homes(package)["Verdict"] == ["pkg/a.py:1", "pkg/sub/b.py:2"]


def fixture_homes(root: Path, name: str) -> list[str]:
    """Where the tests under ``root`` define a pytest fixture called ``name``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and node.name == name
                and any("fixture" in ast.unparse(d) for d in node.decorator_list)
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_the_tests_have_one_sandbox_fixture():
    # Each folder or module sets its receiver up through `sandbox_options`, not a sandbox
    # of its own (two had diverged: other passwords, other accounts, no log).
    homes = fixture_homes(Path(__file__).resolve().parent, "sandbox")
    assert len(homes) == 1 and homes[0].startswith("conftest.py:"), homes
