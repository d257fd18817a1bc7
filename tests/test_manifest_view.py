"""The manifest read as a typed Manifest: readers ask its accessors and never look into the
parsed JSON themselves (only bench/model.py and bench/storage.py do), and every schema
version in SCHEMA_HISTORY reads alike."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from bench.analysis import load_run
from bench.model import SCHEMA_HISTORY, Manifest
from bench.shapes import ClusterShape
from bench.storage import RunFolder
from tests import fixture_records as fx

BENCH = Path(__file__).resolve().parent.parent / "bench"
#: The two modules that hold the manifest as a plain dict: its type and its file.
OWNERS = {"model.py", "storage.py"}
#: Manifest fields that hold JSON objects or lists (looking into them is a dict lookup).
SECTIONS = {"scenario", "grid", "cells", "requested", "environment", "conditions",
            "shipping", "spark", "clusters", "warmup_s", "argv"}
LOOKUPS = {"get", "pop", "setdefault"}


def _is_manifest(node: ast.AST, manifests: set[str]) -> bool:
    """A manifest, typed or parsed: `manifest`, `run.manifest`, `folder.manifest()`, a name
    bound to one."""
    if isinstance(node, ast.Name):
        return "manifest" in node.id or node.id in manifests
    if isinstance(node, ast.Attribute):
        return node.attr == "manifest"
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr in ("manifest", "read_manifest")


def _is_data(node: ast.AST, manifests: set[str], data: set[str]) -> bool:
    """A part of a manifest's parsed JSON: `run.manifest.environment`, `m.get("spark") or
    {}`, `dict(...)` of one, a name bound to one."""
    if isinstance(node, ast.Name):
        return node.id in data
    if isinstance(node, ast.Attribute):
        return node.attr in SECTIONS and _is_manifest(node.value, manifests)
    if isinstance(node, ast.Subscript):
        return _looked_into(node.value, manifests, data)
    if isinstance(node, ast.BoolOp):
        return any(_is_data(v, manifests, data) for v in node.values)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in LOOKUPS:
            return _looked_into(func.value, manifests, data)
        return isinstance(func, ast.Name) and func.id == "dict" and any(
            _is_data(a, manifests, data) for a in node.args)
    return False


def _looked_into(node, manifests, data) -> bool:
    return _is_manifest(node, manifests) or _is_data(node, manifests, data)


def lookups(tree: ast.AST) -> list[int]:
    """Line numbers of dict lookups (x[...], x.get/pop/setdefault) into a manifest or its
    parsed parts, following the names each function binds to them."""
    found = set()
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))]
    inside = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    module = [n for n in ast.walk(tree) if id(n) not in inside]
    for nodes in [module] + [list(ast.walk(f)) for f in functions]:
        manifests: set[str] = set()
        data: set[str] = set()
        for _ in range(2):  # a name bound from another bound name
            for n in nodes:
                if isinstance(n, ast.Assign) and len(n.targets) == 1 \
                        and isinstance(n.targets[0], ast.Name):
                    if _is_manifest(n.value, manifests):
                        manifests.add(n.targets[0].id)
                    elif _is_data(n.value, manifests, data):
                        data.add(n.targets[0].id)
        for n in nodes:
            if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) \
                    and _looked_into(n.value, manifests, data):
                found.add(n.lineno)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) \
                    and n.func.attr in LOOKUPS and _looked_into(n.func.value, manifests, data):
                found.add(n.lineno)
    return sorted(found)


def test_no_reader_looks_into_the_manifest_dict():
    """Every module but the manifest's type and its file asks Manifest's accessors."""
    offenders = []
    for path in sorted(BENCH.rglob("*.py")):
        if path.relative_to(BENCH).as_posix() in OWNERS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        offenders += [f"{path.relative_to(BENCH.parent)}:{line}" for line in lookups(tree)]
    assert offenders == []


def test_the_check_finds_every_kind_of_lookup():
    """The check above can fail: each way of looking into a manifest is found, accessors not."""
    source = '''
def looks(run, folder, manifest):
    a = run.manifest.get("spark")
    b = (manifest.get("environment") or {}).get("logical_cores")
    c = folder.manifest()["cells"]
    m = run.manifest
    env = m.environment or {}
    d = env["stack"]
    spark = dict(m.spark or {})
    e = spark.pop("conf", None)
    f = run.manifest.grid["clusters"]

def asks(run, grp):
    a = run.manifest.task_cpus("2x1")
    b = run.manifest.shapes().get("2x1")
    c = grp.get("x")
    m = run.manifest
    d = m.usable_cores
'''
    assert lookups(ast.parse(source)) == [3, 4, 5, 8, 10, 11]


#: the manifest facts of a run on cluster shapes, as bench writes them (trimmed)
CLUSTER_RUN = {
    "environment": {"logical_cores": 2, "physical_cores": 2, "visible_cpus": 2,
                    "affinity_cpus": 2, "cpu_quota_cores": None, "usable_cores": 2},
    "grid": {"algo": "tpe", "points": "search", "thread_env": [{}],
             "workloads": [{"name": "rf"}, {"name": "lgbm", "thread_env": [
                 {}, {"OMP_WAIT_POLICY": "passive"}]}],
             "clusters": [{"shape": "1x2", "workers": 1, "cores": 2, "task_cpus": 1,
                           "label": "1x2"},
                          {"shape": "2x1", "workers": 2, "cores": 1, "task_cpus": 1,
                           "label": "2x1"},
                          {"shape": "1x2", "workers": 1, "cores": 2, "task_cpus": 2,
                           "label": "1x2/tc2"}]},
    "clusters": {"2x1": [{"executors": 2, "executor_cores": "1", "task_cpus": 1}],
                 "1x2/tc2": [{"executors": 1, "executor_cores": "2", "task_cpus": 2}]},
}


def test_a_cluster_runs_facts():
    m = Manifest.read(CLUSTER_RUN)
    assert m.shapes() == {"1x2": ClusterShape("1x2", 1, 2, 1), "2x1": ClusterShape("2x1", 2, 1, 1),
                          "1x2/tc2": ClusterShape("1x2/tc2", 1, 2, 2)}
    assert (m.task_cpus("1x2/tc2"), m.task_cpus("2x1"), m.task_cpus("9x9")) == (2, 1, None)
    assert m.task_cpus() == 1 and m.task_slots is None  # no session of its own
    assert (m.executors("2x1"), m.executor_cores("2x1"), m.executor_cores("1x2/tc2")) == (2, 1, 2)
    assert m.executors("1x2") is None and m.executor_cores("1x2") is None  # never started
    assert (m.usable_cores, m.host_cores, m.points_shared, m.search_algo) == (2, 2, False, "tpe")
    assert m.axis("thread_env", "lgbm") == [{}, {"OMP_WAIT_POLICY": "passive"}]
    assert m.axis("thread_env", "rf") == m.axis("thread_env") == [{}]
    assert m.axis("n_jobs", "lgbm") is None and m.axis("points") == ["search"]


def test_a_local_runs_facts_and_older_manifests():
    m = Manifest.read({"spark": {"master": "local[*]", "task_slots": 2, "task_cpus": 1,
                                 "executors": 0, "default_parallelism": 2, "conf": {"k": "v"}},
                       "environment": {"versions": {"hyperopt": "0.2.7"}, "logical_cores": 8,
                                       "usable_cores": 4, "cpu_quota_cores": 1.5},
                       "clusters": {"2x1": [{"shape": {"workers": 2, "cores": 1}}]}})
    assert (m.task_slots, m.task_cpus(), m.executors(), m.local_session) == (2, 1, 1, True)
    assert m.default_parallelism == 2 and m.session_conf == {"k": "v"}
    assert "conf" not in m.session_facts(leave_out=("conf",)) and m.session_facts()["conf"]
    # older folders: versions instead of packages, usable_cores holding the affinity count
    assert m.package_version("hyperopt") == "0.2.7" and m.usable_cores == 1.5
    # a shape known only from the session started on it
    assert m.shapes() == {"2x1": ClusterShape("2x1", 2, 1, None)} and m.task_cpus("2x1") == 1
    assert m.executors("2x1") == 2
    empty = Manifest.read({})
    assert (empty.task_slots, empty.task_cpus(), empty.usable_cores, empty.shapes()) == \
        (None, 1, None, {})
    assert empty.condition_entries() == {"native": (False, None)}


@pytest.mark.parametrize("version", sorted(SCHEMA_HISTORY))
def test_every_schema_version_reads_with_the_same_answers(tmp_path, version):
    folder = fx.write_known_run(tmp_path)
    data = json.loads(folder.manifest_path.read_text())
    folder.manifest_path.write_text(json.dumps({**data, "schema_version": version}))
    run = load_run(folder.path)
    m = run.manifest
    assert isinstance(m, Manifest) and m.schema_version == version
    assert RunFolder(folder.path).read_manifest() == m
    assert (m.run_id, m.status, m.scenario_name, m.profile) == \
        ("known-run", "finished", "synthetic", "quick")
    assert (m.task_slots, m.task_cpus(), m.host_cores, m.usable_cores) == (fx.TASK_SLOTS, 1, 2, 2)
    assert [c["cell_id"] for c in m.planned_cells] == list(run.cells["cell_id"])
    assert m.package_version("hyperopt") == "0.3.0" and m.local_session


def test_a_report_of_a_folder_written_before_redaction_shows_no_secret_of_its_manifest(tmp_path):
    """The report reads the manifest typed and redacts it first (older folders stored their
    Spark settings as given)."""
    from bench.redaction import REDACTED
    from bench.report import write_report

    folder = fx.write_known_run(tmp_path)
    data = json.loads(folder.manifest_path.read_text())
    data["spark"]["conf"] = {"spark.hadoop.fs.s3a.secret.key": "hunter2-in-the-manifest"}
    folder.manifest_path.write_text(json.dumps(data))  # as written before redaction existed
    text = write_report(folder.path, tmp_path / "report", formats="md").read_text()
    assert "hunter2-in-the-manifest" not in text
    assert f"spark.hadoop.fs.s3a.secret.key | {REDACTED}" in text.replace("`", "")
