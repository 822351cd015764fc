"""The README and docs/ send a reader only to what a clone of this repository holds.

A link (markdown, reference, image, HTML or a bare web address in the text) must name a
file of the repository that exists, and an anchor a heading of the page it names. A path
written out in the text (in backticks too) must not climb out of the repository with
``../``: a clone does not have what lies beyond it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_INLINE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
_HTML = re.compile(r"\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']", re.I)
_AUTOLINK = re.compile(r"<([a-z][a-z0-9+.-]*:[^>\s]+)>", re.I)
_BARE_URL = re.compile(r"\b(?:https?|ftp|file)://[^\s)>\]]+", re.I)
_UP = re.compile(r"(?<![\w.])(?:\.\./)+[^\s`)\]\"'>]*")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    prose = _FENCE.sub("", page.read_text(encoding="utf-8"))
    return {_anchor(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", prose, re.M)}


def problems(page: Path, root: Path = ROOT) -> list[str]:
    """What in ``page`` sends a reader outside ``root`` or to nothing."""
    text = page.read_text(encoding="utf-8")
    where = page.relative_to(root)
    found: list[str] = []
    # Paths climbing out, anywhere: in prose, in backticks and in code blocks alike.
    for m in _UP.finditer(text):
        target = (page.parent / m.group()).resolve()
        if not target.is_relative_to(root):
            found.append(f"{where}: {m.group()!r} points outside the repository")
    prose = _CODE_SPAN.sub("", _FENCE.sub("", text))
    targets = [m.group(1) for pattern in (_INLINE, _REFERENCE, _HTML) for m in pattern.finditer(prose)]
    for m in _AUTOLINK.finditer(prose):
        found.append(f"{where}: link {m.group(1)!r} points outside the repository")
    for m in _BARE_URL.finditer(_INLINE.sub("", prose)):
        found.append(f"{where}: address {m.group()!r} points outside the repository")
    for target in targets:
        if _SCHEME.match(target) or target.startswith("//"):
            found.append(f"{where}: link {target!r} points outside the repository")
            continue
        path, _, anchor = target.partition("#")
        if path.startswith("/"):
            found.append(f"{where}: link {target!r} is an absolute path, not a file of the repository")
            continue
        file = (page.parent / path).resolve() if path else page
        if not file.is_relative_to(root):
            found.append(f"{where}: link {target!r} points outside the repository")
        elif not file.exists():
            found.append(f"{where}: link {target!r} names no file of the repository")
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            found.append(f"{where}: link {target!r} names no heading of {file.relative_to(root)}")
    return found


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_send_no_reader_outside_the_repository(page: Path):
    assert problems(page) == []


def test_the_readme_links_the_protocol_notes_the_code_follows():
    assert (ROOT / "docs" / "protocol.md").is_file()
    assert "](docs/protocol.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_protocol_notes_hold_the_rules_of_what_an_answer_proves():
    notes = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    for heading in ("What one line for an order can prove", "When an answer to a batch is the protocol"):
        assert f"### {heading}" in notes


def test_the_check_would_notice(tmp_path: Path):
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "here.md").write_text("# Here\n\n## A part\n", encoding="utf-8")
    page = repo / "README.md"
    page.write_text(
        "# Top\n\n"
        "Read `../shared/spec/notes.md` and [the vendor](https://example.com/api).\n"
        "See [gone](docs/gone.md), [part](docs/here.md#a-part), [no part](docs/here.md#nothing),\n"
        "[up](../x.md), [top](#top), <https://example.com>, ![img](/etc/passwd) and\n"
        "https://example.org/page in the text.\n\n"
        "```sh\ncat ../outside.txt\ncurl https://in-a-code-block.example\n```\n"
        "[ref]: http://example.net\n",
        encoding="utf-8",
    )
    found = problems(page, repo)
    assert any("'../shared/spec/notes.md'" in p for p in found)
    assert any("'https://example.com/api'" in p for p in found)
    assert any("docs/gone.md" in p and "names no file" in p for p in found)
    assert any("docs/here.md#nothing" in p for p in found)
    assert not any("docs/here.md#a-part" in p for p in found)
    assert any("'../x.md'" in p for p in found)
    assert not any("#top" in p for p in found)
    assert any("'https://example.com'" in p for p in found)
    assert any("/etc/passwd" in p for p in found)
    assert any("https://example.org/page" in p for p in found)
    assert any("'../outside.txt'" in p for p in found)
    assert not any("in-a-code-block" in p for p in found)
    assert any("http://example.net" in p for p in found)
    (repo / "docs" / "deep.md").write_text("[back](../README.md), `../README.md`\n", encoding="utf-8")
    assert problems(repo / "docs" / "deep.md", repo) == []
