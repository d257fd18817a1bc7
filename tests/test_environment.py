"""CPU facts from a fake cgroup tree: visible CPUs, affinity, quota, usable cores."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench import environment
from bench.model import Manifest
from bench.diagnosis import rules
from tests.test_diagnosis import cell, run_of, trials_for


def tree(tmp_path: Path, files: dict, proc_cgroup: str) -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    root.mkdir(exist_ok=True)
    proc = tmp_path / "proc-self-cgroup"
    proc.write_text(proc_cgroup)
    return root, proc


def test_v2_quota_on_an_ancestor_of_the_process_cgroup(tmp_path):
    # systemd-style: the process sits two levels below the mount, its slice has the quota
    root, proc = tree(tmp_path, {"cpu.max": "max 100000\n",
                                 "user.slice/cpu.max": "200000 100000\n",
                                 "user.slice/job.scope/cpu.max": "max 100000\n"},
                      "0::/user.slice/job.scope\n")
    assert environment.cpu_quota_cores(root, proc) == 2.0


def test_v2_container_own_cgroup_at_the_mount_and_fractions(tmp_path):
    # cgroup namespace: /proc/self/cgroup says '/', the mount holds the container's files
    root, proc = tree(tmp_path, {"cpu.max": "150000 100000\n"}, "0::/\n")
    assert environment.cpu_quota_cores(root, proc) == 1.5
    root, proc = tree(tmp_path / "b", {"cpu.max": "max 100000\n"}, "0::/\n")
    assert environment.cpu_quota_cores(root, proc) is None


def test_v1_cfs_quota_of_the_cpu_controller(tmp_path):
    root, proc = tree(tmp_path, {"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "300000\n",
                                 "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
                                 "cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
                                 "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
                      "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n")
    assert environment.cpu_quota_cores(root, proc) == 3.0
    root, proc = tree(tmp_path / "b", {"cpu/cpu.cfs_quota_us": "-1\n",
                                       "cpu/cpu.cfs_period_us": "100000\n"}, "1:cpu:/\n")
    assert environment.cpu_quota_cores(root, proc) is None


def test_usable_cores_is_the_smallest_limit():
    assert environment.usable_cores_of(64, 64, 2.0) == 2
    assert environment.usable_cores_of(64, 8, None) == 8
    assert environment.usable_cores_of(4, 4, 1.5) == 1.5
    # manifests written before visible/affinity were recorded separately
    old = {"logical_cores": 64, "usable_cores": 64, "cpu_quota_cores": 2.0}
    assert Manifest.read({"environment": old}).usable_cores == 2


def test_64_visible_cpus_2_cpu_quota_32_threads_is_oversubscribed_without_emulation(
        tmp_path, monkeypatch):
    root, proc = tree(tmp_path, {"kubepods/pod1/cpu.max": "200000 100000\n"},
                      "0::/kubepods/pod1\n")
    monkeypatch.setattr(environment.os, "cpu_count", lambda: 64)
    monkeypatch.setattr(environment, "affinity_cpus", lambda: 64)
    facts = environment.cpu_facts(root, proc)
    assert facts == {"visible_cpus": 64, "affinity_cpus": 64, "cpu_quota_cores": 2.0,
                     "usable_cores": 2}
    s = cell("serial", n_jobs=32)
    run, an = run_of((s, trials_for(s, objective=2.0, threads=32, eff=2.0)), cores=64,
                     environment={"logical_cores": 64, **facts})
    found = rules.oversubscription(run, an)
    assert len(found) == 1 and found[0].evidence["cores"] == 2
    assert found[0].evidence["emulated"] is False
    assert "32 runnable threads on 2 cores (the driver)" in found[0].summary


def test_manifest_records_the_cpu_facts_of_this_machine():
    env = environment.capture()
    for key in ("visible_cpus", "affinity_cpus", "cpu_quota_cores", "usable_cores"):
        assert key in env
    assert env["usable_cores"] <= env["visible_cpus"]
