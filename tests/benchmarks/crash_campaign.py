"""The crash campaign at length (not part of the test run):

    .venv/bin/python tests/benchmarks/crash_campaign.py [--kills 300] [--seed N]

What ``tests/test_crash_campaign.py`` does with 30 kills, with many more: the scripted
operator (``tests/crash_driver.py``) and ``ccnow-tui submit`` are ``kill -9``'d at seeded
random points of staging, claiming, sending, answering and reconciling against the
sandbox (answers held 50 ms after applying), restarted, and finally every entry is
compared with the sandbox's own record of what it applied. Prints the figures, the
problems found (if any), then one JSON object as the last line; exits 1 if any entry was
applied twice, lost or misjudged.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS.parent))
sys.path.insert(0, str(TESTS))

from test_crash_campaign import run_campaign  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=300)
    p.add_argument("--seed", type=int, default=20241127)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="ccnow-crash-") as tmp:
        figures = run_campaign(args.kills, Path(tmp) / "campaign", seed=args.seed, log=lambda s: None)
    problems = figures.pop("problems")
    points = figures.pop("kill_points")
    print(f"{'measure':<24} {'value':>8}")
    for key, value in figures.items():
        print(f"{key:<24} {value:>8}")
    print("kill points: " + ", ".join(f"{k} {v}" for k, v in sorted(points.items())))
    for line in problems:
        print("PROBLEM " + line)
    figures["seed"] = args.seed
    figures["kill_points"] = points
    print(json.dumps(figures))
    bad = figures["applied_twice"] or figures["lost"] or figures["misjudged"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
