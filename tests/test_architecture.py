"""The package follows the layer table of docs/architecture.md (imports only go down, no
import cycles between units, few function-level imports of our own modules)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "espnet3_prep"
MAX_FUNCTION_LEVEL_IMPORTS = 15


def _layer_table() -> dict[str, int]:
    """unit -> rank, from the table in docs/architecture.md."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    ranks: dict[str, int] = {}
    for rank, units in re.findall(r"^\| (\d+) \| [^|]+ \| ([^|]+) \|", text, re.M):
        for unit in re.findall(r"`([a-z_]+)`", units):
            ranks[unit] = int(rank)
    assert len(ranks) > 10, "the layer table of docs/architecture.md was not found"
    return ranks


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The imported module of ``from ... import``, relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".")[:-1]  # the package holding the module (or the __init__)
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports() -> list[tuple[str, str, bool, str]]:
    """(source unit, target module, inside a function?, where) for every own import."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.ImportFrom):
                targets = [_absolute(module, path, node)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            targets = [t for t in targets if t.startswith("espnet3_prep.")]
            in_function, parent = False, parents.get(node)
            while parent is not None:
                in_function |= isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef))
                parent = parents.get(parent)
            for target in targets:
                found.append((_unit(module), target, in_function, f"{path.name}:{node.lineno}"))
    return found


def test_every_unit_is_in_the_layer_table() -> None:
    ranks = _layer_table()
    units = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.stem != "__init__"}
    assert units - set(ranks) == set(), "add these units to docs/architecture.md"
    assert set(ranks) - units == set(), "docs/architecture.md names units that do not exist"


def test_imports_only_go_down_the_layers() -> None:
    ranks = _layer_table()
    wrong = [f"{where}: {src} (rank {ranks[src]}) imports {target} (rank "
             f"{ranks[_unit(target)]})" for src, target, _, where in _imports()
             if src != "__init__" and _unit(target) != src
             and ranks[_unit(target)] > ranks[src]]
    assert wrong == []


def test_no_import_cycle_between_units() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for src, target, _, _ in _imports():
        if src != "__init__" and _unit(target) != src:
            edges[src].add(_unit(target))

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(unit for unit in edges if reaches(unit, unit, {unit}))
    assert cycles == []


def test_few_function_level_imports_of_own_modules() -> None:
    lazy = [f"{where} -> {target}" for _, target, inside, where in _imports() if inside]
    assert len(lazy) <= MAX_FUNCTION_LEVEL_IMPORTS, lazy


def test_the_layer_check_sees_a_violation() -> None:
    """The checks above parse real code: a made-up upward import is caught."""
    ranks = _layer_table()
    assert ranks["storage"] < ranks["driver"] < ranks["runner"] < ranks["prep"]
    assert _unit("espnet3_prep.storage.shards") == "storage"
    assert any(src == "runner" and _unit(t) == "driver" for src, t, _, _ in _imports())
