"""Dependencies run one way: the packages form a stack, no import cycle inside ccnow_tui (type-only
imports counted), and the core stays textual-free.

Read from the source (the AST), so an import inside a function counts as much as one at
the top: a cycle hidden in a method is still a cycle. Imports under ``if TYPE_CHECKING:``
count too: they do not run, but a module that names another's types depends on it as
much as one that calls it (the screens and the timers name the app through
``tui/host.py``'s Protocols, never ``tui/app.py``). A module ``a.b.c`` imported by name
depends on ``a.b.c`` (and, as Python imports it, its packages ``a`` and ``a.b`` run
first; those edges are not counted here, or every ``__init__`` re-export would read as a
cycle).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import ccnow_tui

PACKAGE_DIR = Path(ccnow_tui.__file__).resolve().parent
README = PACKAGE_DIR.parent / "README.md"
TUI = "ccnow_tui.tui"
ROOT = "ccnow_tui"
# The command line starts the TUI: its one way in, imported inside the function that runs it;
# ``python -m ccnow_tui`` runs the command line.
ENTRY_POINTS = {("ccnow_tui.cli", "ccnow_tui.tui.app"), ("ccnow_tui.__main__", "ccnow_tui.cli")}
# The layers, lowest first (README's architecture map). A module imports from its own part
# and from the layers below it: never from a layer above, nor from another part of its own
# layer (the command line and the TUI import each other only at ENTRY_POINTS). Every module
# of the package belongs to one layer: a new top-level module must be given its place.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("shared words", (ROOT, "ccnow_tui.words", "ccnow_tui.argtypes", "ccnow_tui.gcpause")),
    ("protocol", ("ccnow_tui.protocol",)),
    ("storage", ("ccnow_tui.storage",)),
    ("domain", ("ccnow_tui.domain",)),
    ("config", ("ccnow_tui.config",)),
    ("client", ("ccnow_tui.client",)),
    ("sandbox", ("ccnow_tui.sandbox",)),
    ("cli and tui", ("ccnow_tui.cli", "ccnow_tui.tui", "ccnow_tui.__main__")),
)
# Layers that import less than everything below them: the sandbox is a stand-in receiver,
# it shares only the wire protocol and the words with the rest.
MAY_IMPORT_ONLY = {"sandbox": {"shared words", "protocol"}}
# The textual-free parts of the TUI: the controller and what it needs are tested without a pilot.
TEXTUAL_FREE_IN_TUI = {
    "ccnow_tui.tui.controller",
    "ccnow_tui.tui.model",
    "ccnow_tui.tui.request",
    "ccnow_tui.tui.session",
    "ccnow_tui.tui.launch",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, those under ``if TYPE_CHECKING:`` included."""
    return [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


def imported_names(path: Path, modules: set[str]) -> set[str]:
    """What ``path`` imports: modules of the package (resolved), and outside top-level names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        out.add(target)
        for alias in node.names:  # from package import module
            if f"{target}.{alias.name}" in modules:
                out.add(f"{target}.{alias.name}")
    return out


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE_DIR.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        graph[module_name(path)] = imported_names(path, modules)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (or a self-import),
    each as one cycle through it, found by Tarjan's algorithm."""
    inside = {m: {d for d in deps if d in graph} for m, deps in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(inside[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in inside[v]:
                components.append(sorted(component))

    for v in sorted(inside):
        if v not in index:
            strongconnect(v)
    return [_one_cycle(c, inside) for c in components]


def _one_cycle(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A path from the component's first module back to itself, inside the component."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                return paths[v] + [start]
            if w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return component


def simple_cycle_count(graph: dict[str, set[str]]) -> int:
    """How many distinct elementary cycles there are (Johnson's count, by brute force:
    the graph is small)."""
    inside = {m: sorted(d for d in deps if d in graph) for m, deps in graph.items()}
    order = sorted(inside)
    count = 0
    for i, start in enumerate(order):
        allowed = set(order[i:])

        def walk(v: str, seen: set[str], start: str = start, allowed: set[str] = allowed) -> int:
            n = 0
            for w in inside[v]:
                if w == start:
                    n += 1
                elif w in allowed and w not in seen:
                    n += walk(w, seen | {w})
            return n

        count += walk(start, {start})
    return count


def part_of(name: str, layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS) -> tuple[int, str, str] | None:
    """The layer (its rank and name) and the part of it that ``name`` belongs to; ``None``
    for a module no layer names. The package itself belongs to its own layer by name only."""
    best: tuple[int, str, str] | None = None
    for rank, (layer, parts) in enumerate(layers):
        for part in parts:
            matches = name == part or (part != ROOT and name.startswith(part + "."))
            if matches and (best is None or len(part) > len(best[2])):
                best = (rank, layer, part)
    return best


def layer_offences(
    graph: dict[str, set[str]],
    layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS,
    only: dict[str, set[str]] | None = None,
    entry_points: set[tuple[str, str]] | None = None,
) -> list[str]:
    """Every edge that goes up the stack or sideways, and every module with no layer."""
    only = MAY_IMPORT_ONLY if only is None else only
    entry_points = ENTRY_POINTS if entry_points is None else entry_points
    offences = []
    for name in sorted(graph):
        home = part_of(name, layers)
        if home is None:
            offences.append(f"{name} belongs to no layer (give it one in LAYERS)")
            continue
        rank, layer, part = home
        for dep in sorted(d for d in graph[name] if d in graph):
            there = part_of(dep, layers)
            if there is None or (name, dep) in entry_points:
                continue
            dep_rank, dep_layer, dep_part = there
            if dep_part == part:
                continue
            if dep_rank > rank:
                offences.append(f"{name} ({layer}) imports {dep} ({dep_layer}), a layer above its own")
            elif dep_rank == rank:
                offences.append(f"{name} ({part}) imports {dep} ({dep_part}), beside it in the layer {layer}")
            elif layer in only and dep_layer not in only[layer]:
                allowed = ", ".join(sorted(only[layer]))
                offences.append(f"{name} ({layer}) imports {dep} ({dep_layer}); {layer} imports only {allowed}")
    return offences


def test_the_layers_form_a_stack():
    offences = layer_offences(import_graph())
    assert not offences, "\n".join(offences)


def test_every_part_of_a_layer_is_there():
    """A module moved or deleted leaves no name behind in LAYERS (nor in the map)."""
    graph = import_graph()
    parts = [part for _, layer in LAYERS for part in layer]
    gone = [part for part in parts if part not in graph and not any(m.startswith(part + ".") for m in graph)]
    assert not gone, f"LAYERS names what the package no longer has: {gone}"


def test_no_import_cycles_inside_the_package():
    graph = import_graph()
    found = cycles(graph)
    print(f"import cycles: {simple_cycle_count(graph)}")
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_core_imports_neither_the_tui_nor_textual():
    offenders = []
    for name, deps in import_graph().items():
        if name == TUI or name.startswith(TUI + "."):
            continue
        for dep in deps:
            if (name, dep) in ENTRY_POINTS:
                continue
            if dep == TUI or dep.startswith(TUI + ".") or dep.split(".")[0] == "textual":
                offenders.append(f"{name} imports {dep}")
    assert not offenders, "\n".join(offenders)


def test_the_controller_and_its_model_import_no_textual():
    graph = import_graph()
    offenders = []
    for name in sorted(TEXTUAL_FREE_IN_TUI):
        seen, todo = {name}, [name]
        while todo:  # everything it imports, transitively, inside the package
            for dep in graph[todo.pop()]:
                if dep.split(".")[0] == "textual":
                    offenders.append(f"{name} (through its imports) imports {dep}")
                elif dep in graph and dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
    assert not offenders, "\n".join(offenders)


def test_the_checks_would_notice():
    # A made-up graph with a cycle hidden in a method and a core module importing textual.
    # An import under TYPE_CHECKING counts as much as one in a function.
    tree = ast.parse("def f():\n    from . import b\nif TYPE_CHECKING:\n    from . import c\n")
    assert sorted(n.names[0].name for n in _imports(tree)) == ["b", "c"]
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a", "textual"}, "p.d": set()}
    assert cycles(graph) == [["p.a", "p.b", "p.c", "p.a"]]
    assert simple_cycle_count(graph) == 1


def test_the_layer_check_would_notice():
    # A made-up stack: low <- mid <- top, "side" beside mid, "apart" importing only low.
    layers = (("low", ("p.low",)), ("mid", ("p.mid", "p.side")), ("apart", ("p.apart",)), ("top", ("p.top",)))
    only = {"apart": {"low"}}
    fine = {"p.low.a": set(), "p.mid.a": {"p.low.a", "p.mid.b"}, "p.mid.b": set(), "p.top": {"p.mid.a", "p.apart"}}
    fine |= {"p.side": {"p.low.a"}, "p.apart": {"p.low.a"}}
    assert layer_offences(fine, layers, only, set()) == []
    up = fine | {"p.low.a": {"p.mid.b"}}
    assert layer_offences(up, layers, only, set()) == ["p.low.a (low) imports p.mid.b (mid), a layer above its own"]
    beside = fine | {"p.side": {"p.mid.a"}}
    assert layer_offences(beside, layers, only, set()) == [
        "p.side (p.side) imports p.mid.a (p.mid), beside it in the layer mid"
    ]
    assert layer_offences(beside, layers, only, {("p.side", "p.mid.a")}) == []
    apart = fine | {"p.apart": {"p.mid.a"}}
    assert layer_offences(apart, layers, only, set()) == [
        "p.apart (apart) imports p.mid.a (mid); apart imports only low"
    ]
    loose = fine | {"p.loose": set()}
    assert layer_offences(loose, layers, only, set()) == ["p.loose belongs to no layer (give it one in LAYERS)"]
    # The package's own module is placed by its name only: it does not hold every module.
    assert part_of("ccnow_tui") == (0, "shared words", "ccnow_tui")
    assert part_of("ccnow_tui.loose") is None
    assert part_of("ccnow_tui.domain.staging") == (3, "domain", "ccnow_tui.domain")


def architecture_map() -> str:
    """README's "Architecture map" section, up to the next heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index("### Architecture map")
    after = re.compile(r"^#{1,3} ", re.M).search(text, start + 1)
    return text[start : after.start() if after else len(text)]


def map_rows(section: str) -> list[tuple[list[str], str]]:
    """The map's table: each row's paths (its first cell) and what it says it owns."""
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 2:
            rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1]))
    return rows


def layer_paths() -> list[str]:
    """Every part of LAYERS as the map writes it (``words.py``, ``protocol/``), lowest first."""
    out = []
    for _, parts in LAYERS:
        for part in parts:
            if part in (ROOT, "ccnow_tui.__main__"):
                continue
            path = part.removeprefix(ROOT + ".").replace(".", "/")
            out.append(f"{path}/" if (PACKAGE_DIR / path).is_dir() else f"{path}.py")
    return out


def test_the_architecture_map_names_every_layer_in_order():
    named = [path for paths, _ in map_rows(architecture_map()) for path in paths]
    assert named == layer_paths()


def test_every_module_the_architecture_map_names_is_there():
    """A module moved or renamed takes its name in the map with it."""
    missing = []
    for paths, owns in map_rows(architecture_map()):
        folders = [PACKAGE_DIR / p for p in paths if p.endswith("/")]
        for name in re.findall(r"`([\w/]+(?:\.py|/))`", owns):
            here = [PACKAGE_DIR / name] + [folder / name for folder in folders]
            deeper = "/" not in name.rstrip("/") and any(next(f.rglob(name), None) for f in folders)
            if not deeper and not any(p.exists() for p in here):
                missing.append(f"{' '.join(paths)}: {name}")
    for name in re.findall(r"`([\w/]+(?:\.py|/))`", architecture_map().partition("| where |")[2].partition("\n\n")[2]):
        if not any(p.exists() for p in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name)):
            missing.append(name)
    assert not missing, "the architecture map names what is not there:\n" + "\n".join(missing)
