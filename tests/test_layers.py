"""The layer order of bench/, written down and kept: the import graph read with `ast`.

Layers, lowest first (README "How it works"): a module imports only from its own layer or
below. `compare` stands beside `report` and builds on `analysis` and below only; the pytest
plugin stands beside the command line. Imports inside functions count (they are edges all
the same); imports under `if TYPE_CHECKING:` do not (they never run). The readers
(analysis, diagnosis, report, compare, predict) must not load hyperopt or pyspark when they
are imported: results are read where neither is installed.
"""
from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

#: The package checked (BENCH_LAYERS_ROOT points the checks at another copy of it).
BENCH = Path(os.environ.get("BENCH_LAYERS_ROOT", Path(__file__).resolve().parent.parent / "bench"))

#: Layers, lowest first. A layer may import its own and every lower one, except where
#: CEILING says otherwise.
LAYERS = ["ground", "storage", "machine", "plan", "run", "analysis", "diagnosis", "predict",
          "report", "compare", "cli", "plugin"]
#: Layers that stand beside another (neither imports the other) ...
BESIDE = {("report", "compare"), ("cli", "plugin")}
#: ... and the highest layer each of these may import.
CEILING = {"compare": "analysis"}

#: Every module of bench/ (by its dotted name under bench; a package stands for all its
#: modules) and its layer. A new module fails the test until it is placed here.
PLACE = {
    # ground: the vocabulary every floor speaks, importing nothing above it
    "errors": "ground", "formats": "ground", "markdown_blocks": "ground", "model": "ground",
    "keys": "ground", "shapes": "ground", "variant_table": "ground", "algorithms": "ground",
    "redaction": "ground", "appendonly": "ground", "schema_doc": "ground",
    # the results on disk
    "storage": "storage",
    # facts about the machine and its software
    "environment": "machine", "versions": "machine", "stacks": "machine",
    # what to run
    "scenario": "plan", "grid": "plan", "workloads": "plan", "conditions": "plan",
    "points": "plan", "trial_result": "plan", "fixes": "plan",
    # running it
    "runner": "run", "modes": "run", "sessions": "run", "probe": "run", "collect": "run",
    "ingest": "run", "eventlog": "run", "variants": "run", "pool": "run", "cluster": "run",
    "observe": "run", "tuned": "run", "spark_session": "run", "shipping": "run",
    "progress": "run", "cellspawn": "run", "fmin_window": "run", "invocation": "run",
    # reading results
    "analysis": "analysis", "diagnosis": "diagnosis", "predict": "predict",
    "report": "report", "compare": "compare",
    # entry points: the package's face (bench.observe), the command line, and the child
    # process a serial cell with its own thread environment runs in (python -m bench.cellproc)
    "": "cli", "__main__": "cli", "cli": "cli", "stacks_cli": "cli", "cellproc": "cli",
    "pytest_plugin": "plugin",
}

#: Imports that run up the layer order and cannot be cut yet: (importer, imported) -> why.
EXCEPTIONS: dict[tuple[str, str], str] = {}

READERS = ("analysis", "diagnosis", "report", "compare", "predict")
FORBIDDEN_AT_IMPORT = ("hyperopt", "pyspark")


# --------------------------------------------------------------------------- the graph

def _modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package at `root`."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = ["bench", *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _typing_only(tree: ast.AST) -> set[int]:
    """ids of the nodes under `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def _deferred(tree: ast.AST) -> set[int]:
    """ids of the nodes that do not run when the module is imported: function bodies."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            out |= {id(n) for n in ast.walk(node) if n is not node}
    return out


def _targets(name: str, is_package: bool, node: ast.AST, modules: dict) -> list[str]:
    """The modules an import statement names (for `from X import a`: X.a when that is a
    module, else X)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        mod = ".".join(base + ([node.module] if node.module else []))
    else:
        mod = node.module
    return [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names]


class Graph:
    def __init__(self, root: Path):
        self.modules = _modules(root)
        self.edges: dict[str, set[str]] = {m: set() for m in self.modules}     # every import
        self.at_import: dict[str, set[str]] = {m: set() for m in self.modules}  # module level
        self.external: dict[str, set[str]] = {m: set() for m in self.modules}   # at import
        for name, path in self.modules.items():
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            skip, later = _typing_only(tree), _deferred(tree)
            package = path.name == "__init__.py"
            for node in ast.walk(tree):
                if not isinstance(node, (ast.Import, ast.ImportFrom)) or id(node) in skip:
                    continue
                for target in _targets(name, package, node, self.modules):
                    if target in self.modules and target != name:
                        self.edges[name].add(target)
                        if id(node) not in later:
                            self.at_import[name].add(target)
                    top = target.split(".")[0]
                    if top in FORBIDDEN_AT_IMPORT and id(node) not in later:
                        self.external[name].add(top)

    def loaded_with(self, name: str) -> list[str]:
        """The bench modules importing `name` runs (its parent packages' __init__ too)."""
        parts = name.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts))] + [name]

    def reach(self, start: str) -> dict[str, str | None]:
        """Every module importing `start` loads, with the module that imported it."""
        came_from: dict[str, str | None] = {}
        todo = [(m, None) for m in self.loaded_with(start)]
        while todo:
            mod, parent = todo.pop()
            if mod in came_from or mod not in self.modules:
                continue
            came_from[mod] = parent
            for target in self.at_import[mod]:
                todo += [(m, mod) for m in self.loaded_with(target)]
        return came_from

    def cycles(self) -> list[list[str]]:
        """Strongly connected groups of more than one module (Tarjan)."""
        index, low, stack, on, out = {}, {}, [], set(), []

        def visit(v):
            index[v] = low[v] = len(index)
            stack.append(v)
            on.add(v)
            for w in sorted(self.edges[v]):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                group = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    group.append(w)
                    if w == v:
                        break
                if len(group) > 1:
                    out.append(sorted(group))

        for v in sorted(self.modules):
            if v not in index:
                visit(v)
        return out


def layer_of(module: str) -> str | None:
    """The layer of a bench module: the PLACE entry of its longest dotted prefix."""
    parts = module.split(".")[1:]
    for n in range(len(parts), -1, -1):
        key = ".".join(parts[:n])
        if key in PLACE:
            return PLACE[key]
    return None


def may_import(importer: str, imported: str) -> bool:
    a, b = LAYERS.index(importer), LAYERS.index(imported)
    if importer == imported:
        return True
    if (importer, imported) in BESIDE or (imported, importer) in BESIDE:
        return False
    ceiling = CEILING.get(importer)
    return b < a and (ceiling is None or b <= LAYERS.index(ceiling))


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph(BENCH)


# --------------------------------------------------------------------------- the checks

def test_every_module_has_a_layer(graph):
    unplaced = [m for m in graph.modules if layer_of(m) is None]
    assert not unplaced, f"place these modules in PLACE (tests/test_layers.py): {unplaced}"
    assert set(PLACE.values()) <= set(LAYERS)


def test_no_import_cycle(graph):
    cycles = graph.cycles()
    assert not cycles, "import cycles (function-level imports included):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def test_no_import_runs_up_the_layer_order(graph):
    upward = sorted(f"{a} ({layer_of(a)}) imports {b} ({layer_of(b)})"
                    for a, targets in graph.edges.items() for b in targets
                    if (a, b) not in EXCEPTIONS and not may_import(layer_of(a), layer_of(b)))
    assert not upward, "imports that run up the layer order:\n" + "\n".join(upward)


def test_every_exception_is_still_needed(graph):
    stale = [f"{a} -> {b}" for a, b in EXCEPTIONS
             if b not in graph.edges.get(a, ()) or may_import(layer_of(a), layer_of(b))]
    assert not stale, f"listed as exceptions but no longer upward imports: {stale}"


def test_readers_do_not_load_hyperopt_or_pyspark_at_import(graph):
    problems = []
    for name in sorted(graph.modules):
        if layer_of(name) not in READERS:
            continue
        came_from = graph.reach(name)
        for mod in came_from:
            for lib in sorted(graph.external[mod]):
                chain, step = [mod], came_from[mod]
                while step is not None:
                    chain.append(step)
                    step = came_from[step]
                problems.append(f"{name} loads {lib}: {' <- '.join(chain)}")
    assert not problems, "readers that load hyperopt or pyspark at import:\n" + "\n".join(
        problems)


def test_the_checks_see_what_they_must():
    """The graph reader on a tiny package: a function-level import is an edge, a
    TYPE_CHECKING import is not, a cycle and a reader's module-level hyperopt are found."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        (root / "analysis").mkdir(parents=True)
        (root / "__init__.py").write_text("")
        (root / "model.py").write_text(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import runner\n")
        (root / "runner.py").write_text("def f():\n    from .analysis import clocks\n")
        (root / "analysis" / "__init__.py").write_text("from .clocks import x\n")
        (root / "analysis" / "clocks.py").write_text(
            "import hyperopt\nx = 1\ndef g():\n    from .. import runner\n")
        g = Graph(root)
        assert g.edges["bench.model"] == set()
        assert g.edges["bench.runner"] == {"bench.analysis.clocks"}
        assert g.at_import["bench.runner"] == set()
        assert g.cycles() == [["bench.analysis.clocks", "bench.runner"]]
        assert g.external["bench.analysis.clocks"] == {"hyperopt"}
        assert "bench.analysis.clocks" in g.reach("bench.analysis")
        assert not may_import("run", "analysis") and may_import("analysis", "run")
        assert not may_import("compare", "report") and not may_import("compare", "diagnosis")
        assert not may_import("report", "compare") and may_import("cli", "compare")
        assert not may_import("cli", "plugin") and may_import("plugin", "report")


def test_the_readers_import_without_hyperopt_or_pyspark_in_a_fresh_interpreter():
    """What the ast check promises, asked of Python itself."""
    import subprocess
    import sys

    code = ("import sys, bench.analysis, bench.diagnosis, bench.report, bench.compare, "
            "bench.predict, bench.diagnosis.cli, bench.report.cli, bench.predict.cli; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'hyperopt', 'pyspark'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=BENCH.parent, check=True)
    assert out.stdout.strip() == "[]"
