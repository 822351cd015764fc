"""Dependencies run one way: no import cycle inside ccnow_tui, and the core stays textual-free.

Read from the source (the AST), so an import inside a function counts as much as one at
the top: a cycle hidden in a method is still a cycle. Imports under ``if TYPE_CHECKING:``
do not run and are left out. A module ``a.b.c`` imported by name depends on ``a.b.c``
(and, as Python imports it, its packages ``a`` and ``a.b`` run first; those edges are
not counted here, or every ``__init__`` re-export would read as a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import ccnow_tui

PACKAGE_DIR = Path(ccnow_tui.__file__).resolve().parent
TUI = "ccnow_tui.tui"
# The command line starts the TUI: its one way in, imported inside the function that runs it.
ENTRY_POINTS = {("ccnow_tui.cli", "ccnow_tui.tui.app")}
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


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except under ``if TYPE_CHECKING:``."""
    found: list = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


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
    tree = ast.parse("def f():\n    from . import b\nif TYPE_CHECKING:\n    from . import c\n")
    assert [n.names[0].name for n in _imports(tree)] == ["b"]
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a", "textual"}, "p.d": set()}
    assert cycles(graph) == [["p.a", "p.b", "p.c", "p.a"]]
    assert simple_cycle_count(graph) == 1
