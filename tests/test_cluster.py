"""The standalone cluster: real daemons on 127.0.0.1, SparkTrials on two executors, and the
pure checks that keep Spark from waiting forever on settings it can never satisfy."""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from bench.cluster import cli, standalone
from bench.cluster.standalone import (
    Cluster, check_schedulable, parse_memory_mb, parse_shape, spark_conf_for, task_slots)
from bench.errors import BenchError
from bench.eventlog import find_eventlogs, read_eventlog
from bench.ingest import join_tasks, trials_without_task

from tests.cluster_fixture import DRIVER_JOB_GROUP, run_sparktrials_on


def _running(entry: dict) -> bool:
    """Is this recorded process (pid + start time) still running?"""
    try:
        proc = psutil.Process(entry["pid"])
        return (abs(proc.create_time() - entry["create_time"]) < 1.0
                and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _free_ports(n: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < n:
        port = standalone.free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench")
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


# --------------------------------------------------------------------------- pure checks

@pytest.mark.parametrize("text, shape", [("2x1", (2, 1)), ("1X4", (1, 4)), (" 3x2 ", (3, 2))])
def test_parse_shape(text, shape):
    assert parse_shape(text) == shape


@pytest.mark.parametrize("text", ["2", "2x", "x1", "0x1", "2x0", "2x1x1", "-1x2", "twoxone", ""])
def test_parse_shape_rejects_bad_text(text):
    with pytest.raises(BenchError, match="cluster shape"):
        parse_shape(text)


@pytest.mark.parametrize("text, mb", [("1g", 1024), ("512m", 512), ("2G", 2048), ("1gb", 1024),
                                      ("1t", 1024 * 1024), ("2048k", 2)])
def test_parse_memory_mb(text, mb):
    assert parse_memory_mb(text) == mb


@pytest.mark.parametrize("text", ["1024", "1.5g", "lots", "g", "-1g"])
def test_parse_memory_rejects_values_without_a_clear_unit(text):
    with pytest.raises(BenchError, match="memory"):
        parse_memory_mb(text)


def test_check_schedulable_accepts_what_fits():
    check_schedulable({"spark.executor.cores": "1", "spark.task.cpus": "1"}, 2, 1, "1g")
    check_schedulable({"spark.executor.cores": 2, "spark.task.cpus": 2}, 1, 4, "2g")
    check_schedulable({}, 2, 1)  # Spark's defaults: one executor per worker, 1 cpu per task


@pytest.mark.parametrize("conf, workers, cores, memory, message", [
    ({"spark.executor.cores": "2"}, 2, 1, None, r"spark.executor.cores=2 .* 1 core"),
    ({"spark.executor.cores": "1", "spark.task.cpus": "2"}, 2, 1, None, r"spark.task.cpus=2"),
    ({"spark.task.cpus": "3"}, 2, 2, None, r"spark.task.cpus=3"),
    ({"spark.executor.cores": "2", "spark.cores.max": "1"}, 2, 2, None, r"spark.cores.max=1"),
    ({"spark.executor.memory": "2g"}, 2, 1, "1g", r"spark.executor.memory=2g .*\(1g\)"),
    ({}, 2, 1, "512m", r"spark.executor.memory=1g"),  # Spark's 1g default does not fit
    ({"spark.executor.memory": "256m"}, 2, 1, "1g", r"at least 450m"),
    ({"spark.executor.cores": "one"}, 2, 1, None, r"spark.executor.cores='one'"),
    ({"spark.executor.cores": "0"}, 2, 1, None, r"at least 1"),
    ({}, 0, 1, None, r"at least 1"),
])
def test_check_schedulable_refuses_what_would_hang(conf, workers, cores, memory, message):
    with pytest.raises(BenchError, match=message):
        check_schedulable(conf, workers, cores, memory)


@pytest.mark.parametrize("conf, workers, cores, slots", [
    ({}, 2, 1, 2),
    ({"spark.executor.cores": "1"}, 2, 2, 4),
    ({"spark.executor.cores": "2", "spark.task.cpus": "2"}, 2, 2, 2),
    ({"spark.executor.cores": "1", "spark.cores.max": "3"}, 2, 2, 3),
])
def test_task_slots(conf, workers, cores, slots):
    assert task_slots(conf, workers, cores) == slots


def _cluster_record(**changes) -> Cluster:
    record = {"state_dir": "/x", "master_url": "spark://127.0.0.1:17077",
              "webui_url": "http://127.0.0.1:18080", "workers": 2, "cores_per_worker": 1,
              "memory": "1g", "master_port": 17077, "webui_port": 18080,
              "processes": [{"role": "master", "pid": 1, "create_time": 0.0, "log": "m"}],
              "launched_ts": 10.0, "alive_ts": 18.5}
    record.update(changes)
    return Cluster.from_dict(record)


def test_spark_conf_for_gives_one_executor_per_worker_on_loopback():
    conf = spark_conf_for(_cluster_record(workers=3, cores_per_worker=2, memory="2g"))
    assert conf["spark.master"] == "spark://127.0.0.1:17077"
    assert conf["spark.executor.cores"] == "2"
    assert conf["spark.executor.memory"] == "2g"
    assert conf["spark.cores.max"] == "6"
    assert conf["spark.driver.host"] == conf["spark.driver.bindAddress"] == "127.0.0.1"
    check_schedulable(conf, 3, 2, "2g")
    assert task_slots(conf, 3, 2) == 6


def test_cluster_record_round_trips_through_json():
    cluster = _cluster_record()
    again = Cluster.from_dict(json.loads(json.dumps(cluster.to_dict())))
    assert again == cluster
    assert again.startup_s == pytest.approx(8.5)


@pytest.mark.parametrize("workers, cores, memory, options, message", [
    (0, 1, "1g", {}, "at least 1"),
    (1, 0, "1g", {}, "at least 1"),
    (1, 1, "100m", {}, "too small"),
    (1, 1, "lots", {}, "expected a number with a unit"),
    (1, 1, "100000g", {}, "more than this machine"),
    (1, 1, "1g", {"master_port": 17177, "webui_port": 17177}, "both 17177"),
    (1, 1, "1g", {"master_port": 70000}, "not a TCP port"),
])
def test_start_refuses_impossible_settings_before_launching(tmp_path, workers, cores, memory,
                                                            options, message):
    with pytest.raises(BenchError, match=message):
        standalone.start(workers, cores, memory, state_dir=tmp_path / "state", **options)
    assert not (tmp_path / "state" / standalone.STATE_FILE).exists()


def test_stop_and_status_without_a_cluster_say_so(tmp_path):
    with pytest.raises(BenchError, match="no cluster recorded"):
        standalone.stop(tmp_path)
    with pytest.raises(BenchError, match="no cluster recorded"):
        standalone.status(tmp_path)


def test_unreadable_record_is_an_error_not_a_guess(tmp_path):
    (tmp_path / standalone.STATE_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(BenchError, match="unreadable cluster record"):
        standalone.status(tmp_path)


def test_cli_rejects_a_non_integer_worker_count():
    with pytest.raises(SystemExit):  # argparse: --workers must be an integer
        _cli(["cluster", "start", "--workers", "two", "--cores", "1", "--memory", "1g"])


# --------------------------------------------------------------------------- real cluster

@pytest.mark.cluster
def test_status_shows_two_alive_workers(spark_cluster):
    st = standalone.status(spark_cluster.state_dir)
    assert st["master_url"] == spark_cluster.master_url
    assert st["master_reachable"]
    assert [p["alive"] for p in st["processes"]] == [True, True, True]
    alive = [w for w in st["workers"] if w["state"] == "ALIVE"]
    assert len(alive) == st["alive_workers"] == 2
    assert all(w["cores"] == 1 and w["memory_mb"] == 1024 and w["host"] == "127.0.0.1"
               for w in alive)


@pytest.mark.cluster
def test_every_daemon_socket_listens_on_loopback_only(spark_cluster):
    sockets = standalone.listening_sockets(spark_cluster.pids)
    assert {pid for pid, _, _ in sockets} == set(spark_cluster.pids)  # each has RPC + web UI
    assert sorted({ip for _, ip, _ in sockets}) == ["127.0.0.1"]
    master_ports = {port for pid, _, port in sockets if pid == spark_cluster.pids[0]}
    assert master_ports == {spark_cluster.master_port, spark_cluster.webui_port}  # no REST 6066


@pytest.mark.cluster
def test_logs_and_work_dirs_stay_in_the_state_folder(spark_cluster):
    state_dir = Path(spark_cluster.state_dir)
    assert all(Path(p["log"]).parent == state_dir / "logs" for p in spark_cluster.processes)
    assert all(Path(p["log"]).stat().st_size > 0 for p in spark_cluster.processes)
    assert sorted(d.name for d in (state_dir / "work").iterdir()) == ["worker-0", "worker-1"]


@pytest.fixture(scope="module")
def cluster_sparktrials(spark_cluster, tmp_path_factory):
    """One SparkTrials fmin (sleep 0.2 s, 4 evals, parallelism 2) on the cluster."""
    eventlog_dir = tmp_path_factory.mktemp("cluster-eventlog")
    observed = run_sparktrials_on(spark_cluster, eventlog_dir, evals=4, parallelism=2)
    logs = [read_eventlog(p) for p in find_eventlogs(eventlog_dir)]
    return observed, logs


@pytest.mark.cluster
def test_sparktrials_ran_on_two_executors(spark_cluster, cluster_sparktrials):
    observed, logs = cluster_sparktrials
    trials = observed["trials"]
    assert len(trials) == 4 and all(t["state"] == 2 for t in trials)  # JOB_STATE_DONE
    executor_jvms = {t["executor_jvm_pid"] for t in trials}
    assert len(executor_jvms) == 2 and None not in executor_jvms
    assert not executor_jvms & set(spark_cluster.pids)  # executors, not the daemons
    (log,) = logs
    assert log.complete, log.notes()
    assert len({t["executor_id"] for t in log.tasks}) == 2
    assert "driver" not in {t["executor_id"] for t in log.tasks}
    assert {t["host"] for t in log.tasks} == {"127.0.0.1"}
    assert len([e for e in log.executors if e["executor_id"] != "driver"]) == 2


@pytest.mark.cluster
def test_eventlog_tasks_join_every_trial(cluster_sparktrials):
    observed, (log,) = cluster_sparktrials
    trials = [{"cell_id": t["cell_id"], "tid": t["tid"],
               "spark_task_attempt_id": t["task_attempt_id"]} for t in observed["trials"]]
    joined = join_tasks(log.tasks, trials)
    assert sorted(t["tid"] for t in joined) == [0, 1, 2, 3]
    assert {t["cell_id"] for t in joined} == {DRIVER_JOB_GROUP}
    attempt_of = {t["tid"]: t["spark_task_attempt_id"] for t in trials}
    assert all(t["task_attempt_id"] == attempt_of[t["tid"]] for t in joined)
    assert trials_without_task(joined, trials) == []


@pytest.mark.cluster
def test_executors_and_driver_listen_on_loopback_only(spark_cluster, cluster_sparktrials):
    observed, _ = cluster_sparktrials
    pids = {pid for pid, _, _ in observed["listening"]}
    assert len(pids) > len(spark_cluster.pids)  # executor and driver JVMs were looked at too
    assert sorted({ip for _, ip, _ in observed["listening"]}) == ["127.0.0.1"]


@pytest.mark.cluster
def test_cli_start_status_stop_and_refusals(tmp_path, capsys):
    """A 1-worker cluster through the CLI: refuses a second start in its folder and a start
    on its port elsewhere, reports itself, and stop leaves none of its processes alive."""
    state_a, state_b = tmp_path / "a", tmp_path / "b"
    master_port, webui_port, other_port = _free_ports(3)
    assert _cli(["cluster", "start", "--workers", "1", "--cores", "1", "--memory", "512m",
                 "--state-dir", str(state_a), "--master-port", str(master_port),
                 "--webui-port", str(webui_port)]) == 0
    assert f"spark://127.0.0.1:{master_port}" in capsys.readouterr().out
    record = json.loads((state_a / standalone.STATE_FILE).read_text(encoding="utf-8"))
    try:
        with pytest.raises(BenchError, match="still running"):
            standalone.start(1, 1, "512m", state_dir=state_a, master_port=other_port,
                             webui_port=standalone.free_port())
        with pytest.raises(BenchError, match=f"master port {master_port} .* already in use"):
            standalone.start(1, 1, "512m", state_dir=state_b, master_port=master_port,
                             webui_port=other_port)
        assert not (state_b / standalone.STATE_FILE).exists()

        assert _cli(["cluster", "status", "--state-dir", str(state_a)]) == 0
        out = capsys.readouterr().out
        assert "1 of 1 worker(s) ALIVE" in out and "NOT RUNNING" not in out
    finally:
        assert _cli(["cluster", "stop", "--state-dir", str(state_a)]) == 0
    assert "stopped 2 process(es)" in capsys.readouterr().out
    assert [p for p in record["processes"] if _running(p)] == []
    assert not (state_a / standalone.STATE_FILE).exists()


@pytest.mark.cluster
def test_start_timeout_fails_clearly_and_leaves_nothing_running(tmp_path):
    master_port, webui_port = _free_ports(2)
    state_dir = tmp_path / "state"
    with pytest.raises(BenchError, match="timed out waiting for the master"):
        standalone.start(1, 1, "512m", state_dir=state_dir, master_port=master_port,
                         webui_port=webui_port, timeout=0.5)
    assert not (state_dir / standalone.STATE_FILE).exists()
    ours = [p for p in psutil.process_iter(["cmdline"])
            if any(str(state_dir) in part for part in (p.info["cmdline"] or []))]
    assert ours == []


@pytest.mark.cluster
def test_running_cluster_stops_on_exception(tmp_path):
    master_port, webui_port = _free_ports(2)
    seen: list[dict] = []
    with pytest.raises(KeyboardInterrupt):
        with standalone.running_cluster(1, 1, "512m", state_dir=tmp_path, timeout=120,
                                        master_port=master_port, webui_port=webui_port) as c:
            seen.extend(c.processes)
            raise KeyboardInterrupt
    assert len(seen) == 2
    assert [p for p in seen if _running(p)] == []


@pytest.mark.cluster
def test_cluster_authenticates_with_a_private_secret_kept_off_command_lines(spark_cluster):
    import stat

    import psutil

    auth = Path(spark_cluster.auth_file)
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    conf = spark_conf_for(spark_cluster)
    secret = conf["spark.authenticate.secret"]
    assert conf["spark.authenticate"] == "true" and len(secret) >= 32
    assert secret not in json.dumps(spark_cluster.to_dict())  # the record names the file only
    for pid in spark_cluster.pids:
        proc = psutil.Process(pid)
        assert secret not in " ".join(proc.cmdline())
        assert str(auth) in proc.cmdline()  # the daemons read it from the 0600 file


@pytest.mark.cluster
@pytest.mark.long
def test_a_driver_without_the_secret_is_refused(spark_cluster, tmp_path):
    """An application that does not know the secret never registers with the master."""
    driver = (
        "import sys, time\n"
        "from pyspark.sql import SparkSession\n"
        "b = SparkSession.builder.master(sys.argv[1]).appName('intruder')\n"
        "for k, v in {'spark.driver.host': '127.0.0.1', 'spark.driver.bindAddress': "
        "'127.0.0.1', 'spark.ui.enabled': 'false'}.items():\n"
        "    b = b.config(k, v)\n"
        "s = b.getOrCreate()\n"
        "time.sleep(float(sys.argv[2]))\n"
        "print(s.sparkContext.applicationId)\n"
        "s.stop()\n")
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    proc = subprocess.Popen([sys.executable, "-c", driver, spark_cluster.master_url, "8"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    summary = standalone.master_json(spark_cluster.webui_port)
    names = [a.get("name") for a in summary.get("activeapps", []) + summary.get("completedapps", [])]
    assert "intruder" not in names, names
    master_log = Path(spark_cluster.processes[0]["log"]).read_text(errors="replace")
    assert "SASL" in master_log or "authentication" in master_log.lower()


def _web(port: int, method: str, path: str, form: str | None = None) -> str:
    """One request to a web UI on 127.0.0.1; the page's text, whatever its status."""
    import http.client

    web = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        web.request(method, path, body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded"} if form else {})
        return web.getresponse().read().decode(errors="replace")
    finally:
        web.close()


@pytest.mark.cluster
@pytest.mark.long
def test_the_master_web_ui_cannot_kill_a_running_application(spark_cluster):
    """The kill form of the master's web UI (POST /app/kill/) is switched off: a run on the
    harness's cluster cannot be ended by whoever reaches that port."""
    import urllib.parse

    driver = (
        "import json, sys\n"
        "from pyspark.sql import SparkSession\n"
        "b = SparkSession.builder.appName('not-killable')\n"
        "for k, v in json.loads(sys.argv[1]).items():\n"
        "    b = b.config(k, v)\n"
        "s = b.getOrCreate()\n"
        "print(s.sparkContext.applicationId, flush=True)\n"
        "sys.stdin.readline()\n"
        "print(s.sparkContext.parallelize(range(4), 2).sum(), flush=True)\n"
        "s.stop()\n")
    conf = {**spark_conf_for(spark_cluster), "spark.ui.enabled": "false"}
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    proc = subprocess.Popen([sys.executable, "-c", driver, json.dumps(conf)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        app_id = proc.stdout.readline().strip()
        assert app_id.startswith("app-"), app_id
        page = _web(spark_cluster.webui_port, "GET", "/")
        token = re.search(r'name="csrfToken" value="([^"]+)"', page)  # the page's, if any
        form = {"id": app_id, "terminate": "true", **({"csrfToken": token[1]} if token else {})}
        _web(spark_cluster.webui_port, "POST", "/app/kill/", urllib.parse.urlencode(form))
        time.sleep(3)  # a kill would have reached the application by now
        summary = standalone.master_json(spark_cluster.webui_port)
        active = {a["id"]: a.get("state") for a in summary.get("activeapps", [])}
        assert active.get(app_id) == "RUNNING", summary.get("completedapps")
        assert "app/kill" not in page  # and the page offers no kill form
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "6"  # and it still runs jobs
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_run_master_finds_the_secret_of_the_cluster_started_here(tmp_path):
    auth = standalone.write_auth(tmp_path)
    record = _cluster_record(state_dir=str(tmp_path), auth_file=str(auth)).to_dict()
    (tmp_path / standalone.STATE_FILE).write_text(json.dumps(record))
    conf = standalone.auth_for_master("spark://127.0.0.1:17077", tmp_path)
    assert conf["spark.authenticate"] == "true" and len(conf["spark.authenticate.secret"]) == 64
    assert standalone.auth_for_master("spark://127.0.0.1:7", tmp_path) == {}
    assert standalone.auth_for_master("local[2]", tmp_path) == {}
    standalone.forget_auth(record)
    assert not auth.exists() and tmp_path.exists()
