"""An A/B run: one results folder, both sides' cells interleaved (bench.ab.plan), each side in
its own long-lived driver (bench.ab.sides), records appended by this process alone as the
twins finish. `--resume` restarts both drivers for the cells not finished yet."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Optional

from .. import grid, runner, spark_session
from .. import scenario as scenario_mod
from ..errors import BenchError
from ..ingest import collect_spark_tasks
from ..model import Manifest
from ..progress import Plan, Progress
from ..storage import RunFolder
from .plan import SIDES, SideSpec, interleave, parse_ab, refuse_clusters, twins_of
from .sides import SideProcess


def plan_run(scenario: str, ab: str, profile: str):
    """(sides, scenarios by side, the interleaved cells) of a new A/B run; every refusal
    (a side's bad scenario, clusters, grids that differ) before anything starts."""
    specs = parse_ab(ab, scenario)
    scns = {s.name: scenario_mod.load(s.scenario, profile) for s in specs}
    for s in specs:
        refuse_clusters(scns[s.name].settings, s.scenario)
    cells = {n: grid.expand(scn.settings) for n, scn in scns.items()}
    twins_of(cells["A"], cells["B"], f"--ab {ab}")
    return specs, scns, interleave(cells["A"], scns["A"].settings["seed"])


def open_new(scenario: str, ab: str, profile: str, master: Optional[str], conf: dict,
             results_dir, argv) -> RunFolder:
    specs, scns, cells = plan_run(scenario, ab, profile)
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    master = master or spark_session.DEFAULT_MASTER
    manifest = runner.new_manifest(scns["A"], "", cells, argv or sys.argv, master, conf,
                                   results_dir)
    entry = {s.name: {**s.to_dict(), "sha256": scns[s.name].sha256,
                      "profile": scns[s.name].profile} for s in specs}
    manifest = dataclasses.replace(manifest, ab=entry)
    return RunFolder.create_new(results_dir, scns["A"].name + "-ab", manifest)


def run(scenario: str | None = None, *, ab: str | None = None, profile: str = "quick",
        master: str | None = None, conf: Optional[dict] = None, results_dir="results",
        resume=None, quiet: bool = False, argv=None, estimate=None) -> Path:
    """Run (or resume) an A/B run and return its results folder; `estimate` (a
    bench.predict.estimate.Estimate of a new run) gives the progress bar its plan."""
    conf = dict(conf or {})
    if resume is not None:
        folder = RunFolder(resume)
        manifest = folder.read_manifest()
        with folder.lock():
            master = master or manifest.requested_master
            conf = spark_session.resumed_conf(manifest.requested_conf, conf)
            folder.upgrade()
            folder.drop_unfinished_trials()
            _run_cells(folder, master, conf, quiet, resumed=True)
        return folder.path
    folder = open_new(scenario, ab, profile, master, conf, results_dir, argv)
    with folder.lock():
        _run_cells(folder, master or spark_session.DEFAULT_MASTER, conf, quiet, resumed=False,
                   plan=Plan.of(estimate))
    return folder.path


def _start_sides(folder: RunFolder, manifest: Manifest, pending: list, master: str,
                 conf: dict) -> dict:
    """Both drivers, one after the other (so their start-ups do not compete), each told its
    pending cells; their facts go in the manifest's `ab` entry."""
    procs = {}
    try:
        for name in SIDES:
            entry = manifest.ab_sides[name]
            spec = SideSpec(name, entry["stack"], entry["scenario"])
            proc = procs[name] = SideProcess(spec, folder.path / f"ab-{name}.log")
            ready = proc.ask({"side": name, "scenario": str(Path(spec.scenario).resolve()),
                              "profile": entry.get("profile") or manifest.profile,
                              "sha256": entry["sha256"], "run": str(folder.path.resolve()),
                              "master": master, "conf": conf,
                              "cells": [c.to_dict() for c in pending if c.side == name]})
            facts = {k: ready.get(k) for k in ("pid", "jvm_pid", "python", "environment",
                                               "warmup_s", "spark", "shipping")}
            folder.record_ab_side(name, facts)
    except BaseException:
        for proc in procs.values():
            proc.stop()
        raise
    return procs


def _run_cells(folder: RunFolder, master: str, conf: dict, quiet: bool, resumed: bool,
               plan: Plan | None = None) -> None:
    """Run the cells not finished yet in plan order, each on its side's driver, appending
    each twin's records as it finishes; the manifest's status says how the run ended."""
    manifest = folder.read_manifest()
    if not manifest.ab_sides:
        raise BenchError(f"{folder.path}: not an A/B run (its manifest has no ab entry)")
    cells = [grid.Cell(**c) for c in manifest.planned_cells]
    done = folder.committed().cell_ids
    pending = [c for c in cells if c.cell_id not in done]
    procs = {}
    try:
        with folder.running(resumed=resumed):
            procs = _start_sides(folder, manifest, pending, master, conf)
            with Progress(total=len(cells), done=len(done), quiet=quiet, plan=plan) as bar:
                for cell in pending:
                    bar.describe(cell.cell_id)
                    answer = procs[cell.side].ask({"cell": cell.to_dict()})
                    folder.append_cell(answer["cell"], answer["trials"])
                    bar.advance(answer["cell"])
    finally:
        try:
            for proc in procs.values():
                proc.stop()
        finally:
            spark_session.redact_run_logs(folder.path)
    collect_spark_tasks(folder)
