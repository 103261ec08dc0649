"""How the package is laid out, in numbers: ``python -m tools.house [package folder]``.

The figures the restructuring issue asked for, counted the same way before and after:
modules in the package root, import circles between modules (strongly connected groups of
the import graph, imports inside functions included), imports inside functions (outside
``if TYPE_CHECKING:``), and modules per folder.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path


def module_name(root: Path, path: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(name: str, node: ast.AST, package: str) -> list[str]:
    """The modules an import statement in module ``name`` names (``from x import y``: x and x.y)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def scan(root: Path) -> tuple[dict[str, set[str]], list[tuple[str, int]]]:
    """The import graph of the package (run-time imports) and the function-level imports."""
    graph: dict[str, set[str]] = {}
    inside: list[tuple[str, int]] = []
    modules = {module_name(root, p): p for p in sorted(root.rglob("*.py"))}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        lines: list[int] = []
        visit(ast.parse(path.read_text(encoding="utf-8")), False, (name, package, set(modules)), edges, lines)
        inside.extend((str(path.relative_to(root.parent)), line) for line in lines)
        edges.discard(name)
        graph[name] = edges
    return graph, inside


def visit(
    node: ast.AST, in_function: bool, where: tuple[str, str, set[str]], edges: set[str], lines: list[int]
) -> None:
    """Collect the imports under ``node``: their targets into ``edges``, and the line of each
    one inside a function into ``lines`` (``if TYPE_CHECKING:`` blocks are skipped)."""
    name, package, modules = where
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and is_type_checking(child):
            continue  # for the type checker only
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            edges.update(t for t in imported(name, child, package) if t in modules)
            if in_function:
                lines.append(child.lineno)
            continue
        nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        visit(child, nested, where, edges, lines)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or around a loop (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in graph:
        if node not in index:
            connect(node)
    return found


def ancestors_only(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without ``import a.b`` counted as an edge to the package ``a`` (its
    ``__init__`` runs, but ``a`` does not depend on its child for that)."""
    return {name: {t for t in targets if not name.startswith(t + ".")} for name, targets in graph.items()}


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "logboot"
    graph, inside = scan(root)
    top = sorted(p.name for p in root.glob("*.py"))
    folders = Counter(str(p.parent.relative_to(root)) for p in root.rglob("*.py") if p.parent != root)
    loops = circles(ancestors_only(graph))
    print(f"modules in the package root: {len(top)} ({', '.join(top)})")
    print(f"modules in folders: {dict(sorted(folders.items()))}")
    print(f"import circles: {len(loops)}")
    for loop in loops:
        print(f"  {' <-> '.join(loop)}")
    print(f"imports inside functions: {len(inside)}")
    for where, line in inside:
        print(f"  {where}:{line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
