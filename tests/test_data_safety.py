"""Nothing finished is lost and nothing unchecked is run: torn lines are cut before the next
append, --resume checks the scenario file before executing it, and runs started in the same
second get folders of their own."""
from __future__ import annotations

import json
import threading

import pytest

from bench import conditions, runner
from bench import scenario as scenario_mod
from bench.errors import BenchError
from bench.storage import CELLS, TRIALS, RunFolder, read_jsonl
from tests.conftest import write_scenario
from tests.fixture_records import write_known_run

SERIAL = '''
SCENARIO = {"name": "safe", "workloads": ["sleep"], "sleep": {"seconds": 0.01, "threads": 0},
            "max_evals": 2, "modes": ["serial"], "n_jobs": [None, 1], "repeats": 2,
            "algo": "rand", "seed": 0}
'''


def _tear(path, keep_chars: int = 25) -> None:
    """What kill -9 leaves: the file's last line cut off in the middle, without its newline."""
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1][:keep_chars])


@pytest.mark.parametrize("torn", [CELLS, TRIALS])
def test_the_next_commit_is_not_glued_onto_a_torn_line(tmp_path, torn):
    folder = write_known_run(tmp_path)
    cells = read_jsonl(folder.cells_path).records
    trials = read_jsonl(folder.trials_path).records
    last = cells[-1]["cell_id"]
    _tear(folder.path / torn)  # the writer died in the middle of the last cell's line(s)
    kept = folder.committed().cell_ids
    new = {**cells[-1], "cell_id": last + "-again"}
    folder.append_cell(new, [{**t, "cell_id": new["cell_id"]} for t in trials
                             if t["cell_id"] == last])
    got = folder.committed()
    assert got.cell_ids == kept | {new["cell_id"]}  # the new commit is whole
    assert not got.bad_lines  # the fragment was cut, not left to poison the file
    assert len([t for t in got.trials if t["cell_id"] == new["cell_id"]]) == 4


def test_a_whole_last_line_without_newline_is_kept(tmp_path):
    folder = write_known_run(tmp_path)
    text = folder.cells_path.read_text()
    folder.cells_path.write_text(text.rstrip("\n"))  # edited by hand: no final newline
    before = folder.committed().cell_ids
    cell = {**read_jsonl(folder.cells_path).records[0], "cell_id": "extra"}
    folder.append_cell(cell, [])
    assert folder.committed().cell_ids == before | {"extra"}


def test_background_load_pid_file_is_repaired_too(tmp_path):
    pid_file = tmp_path / conditions.PIDS_FILE
    pid_file.write_text('{"event": "started", "ts": 1.0, "runner_pid": 1, "proc')  # torn
    conditions._record(pid_file, "stopped", [])
    lines = pid_file.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["event"] == "stopped"


def test_resume_after_a_torn_cell_line_keeps_every_cell(tmp_path):
    scn = write_scenario(tmp_path, SERIAL)
    path = runner.run(scn, results_dir=tmp_path / "results", quiet=True)
    folder = RunFolder(path)
    planned = {c["cell_id"] for c in folder.manifest()["cells"]}
    assert folder.committed().cell_ids == planned
    _tear(folder.cells_path)  # the last cell's commit mark was cut by a kill
    folder.set_status("interrupted")
    runner.run(resume=path, quiet=True)
    got = folder.committed()
    assert got.cell_ids == planned and not got.bad_lines, got.bad_lines
    assert len(got.cells) == len(planned)


def test_resume_checks_the_scenario_hash_before_running_its_code(tmp_path):
    scn = write_scenario(tmp_path, SERIAL)
    path = runner.run(scn, results_dir=tmp_path / "results", quiet=True)
    RunFolder(path).set_status("interrupted")
    marker = tmp_path / "the-changed-file-ran"
    scn.write_text(f"open({str(marker)!r}, 'w').close()\n" + SERIAL)
    with pytest.raises(BenchError, match="changed since run"):
        runner.run(resume=path, quiet=True)
    assert not marker.exists()  # refused before a line of the changed file ran


def test_runs_of_one_scenario_started_in_the_same_second_get_their_own_folders(tmp_path):
    scn = scenario_mod.load(write_scenario(tmp_path, SERIAL))
    results = tmp_path / "results"
    start = threading.Barrier(4)
    opened, errors = [], []

    def open_one():
        start.wait()
        try:
            opened.append(runner.open_new(scn, "quick", None, {}, results, None,
                                          ["bench", "run"], None).folder)
        except Exception as exc:  # the race used to end in FileExistsError
            errors.append(repr(exc))

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len({f.path for f in opened}) == 4 == len(list(results.iterdir()))
    assert all(f.manifest()["run_id"] == f.path.name for f in opened)
    stamps = {f.run_id.removeprefix("safe-")[:15] for f in opened}
    assert len(stamps) <= 2  # same second (or two): told apart by -2, -3, ...


def test_an_explicit_run_id_that_exists_is_a_clear_error(tmp_path):
    scn = scenario_mod.load(write_scenario(tmp_path, SERIAL))
    runner.open_new(scn, "quick", None, {}, tmp_path / "r", None, ["x"], "mine")
    with pytest.raises(BenchError, match="mine: already exists"):
        runner.open_new(scn, "quick", None, {}, tmp_path / "r", None, ["x"], "mine")
