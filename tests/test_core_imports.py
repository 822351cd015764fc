"""The core (everything but ccnow_tui.tui) must not import textual.

Scripting commands, cron jobs and the sandbox import the core; pulling in textual would
slow them down and tie them to the terminal UI. The check runs in a fresh interpreter,
because this test process may already have textual loaded by other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ccnow_tui

PACKAGE_DIR = Path(ccnow_tui.__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent

# Discovery and imports happen in the child. walk_packages imports every package it
# descends into, so a stub stands in for ccnow_tui.tui while walking: the real one (and
# whatever it imports) is never loaded. __main__ modules are skipped too: importing one
# runs the program.
CHILD = r"""
import importlib, json, pkgutil, sys, types
import ccnow_tui

SKIP = "ccnow_tui.tui"
stub = types.ModuleType(SKIP)
stub.__path__ = []
sys.modules[SKIP] = stub
try:
    names = sorted(
        info.name
        for info in pkgutil.walk_packages(ccnow_tui.__path__, "ccnow_tui.")
        if info.name != SKIP and not info.name.startswith(SKIP + ".")
        and info.name.rsplit(".", 1)[-1] != "__main__"
    )
finally:
    del sys.modules[SKIP]

result = {"modules": names, "textual_before": "textual" in sys.modules, "first_offender": None, "errors": {}}
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:
        result["errors"][name] = repr(exc)
    if "textual" in sys.modules and result["first_offender"] is None:
        result["first_offender"] = name
result["textual_after"] = "textual" in sys.modules
result["tui_loaded"] = sorted(m for m in sys.modules if m == SKIP or m.startswith(SKIP + "."))
print(json.dumps(result))
"""


def expected_core_modules() -> set[str]:
    """Every module file of the package except ccnow_tui.tui.* and __main__."""
    names = set()
    for path in PACKAGE_DIR.rglob("*.py"):
        rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[1:2] == ["tui"] or parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts.pop()
        if len(parts) > 1:
            names.add(".".join(parts))
    return names


def run_child() -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_core_modules_do_not_import_textual() -> None:
    result = run_child()
    modules = set(result["modules"])

    # The discovery is real: it found every core module on disk, and the protocol at least.
    assert modules == expected_core_modules()
    assert {
        "ccnow_tui.protocol",
        "ccnow_tui.protocol.orderid",
        "ccnow_tui.protocol.status",
        "ccnow_tui.protocol.actions",
        "ccnow_tui.protocol.batch",
        "ccnow_tui.protocol.form",
        "ccnow_tui.protocol.answer",
        "ccnow_tui.protocol.redact",
    } <= modules
    assert not any(m.startswith("ccnow_tui.tui") for m in modules)

    assert result["errors"] == {}, "core modules failed to import"
    assert not result["textual_before"]
    assert result["first_offender"] is None, f"{result['first_offender']} imports textual"
    assert not result["textual_after"]
    assert result["tui_loaded"] == [], "a core module imports ccnow_tui.tui"


def test_the_check_would_notice_textual() -> None:
    # The same child, with a module that imports textual planted first: the check must
    # report it (so a pass above means something).
    planted = CHILD.replace(
        "result = {",
        "sys.modules['textual'] = types.ModuleType('textual')\nresult = {",
        1,
    )
    proc = subprocess.run([sys.executable, "-c", planted], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["textual_before"]
    assert result["first_offender"] == result["modules"][0]
