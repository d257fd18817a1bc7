"""A throwaway git checkout for a CI recipe under docs/ci/: the script copied in, a stand-in
interpreter (`./fakepy`) that records its arguments and answers with the exit codes a case
asks for, and a way to run the script and read back what it called."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_checkout(tmp_path: Path, script: str, fake_py: str, files: dict | None = None,
                  after_commit: dict | None = None) -> Path:
    """A repository holding docs/ci/`script`, `files` (path -> text) and ./fakepy, committed
    once; `after_commit` files are written after the commit (the change under review)."""
    repo = tmp_path / "repo"
    (repo / "docs" / "ci").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "ci" / script, repo / "docs" / "ci")
    for name, text in (files or {}).items():
        (repo / name).write_text(text)
    fake = repo / "fakepy"
    fake.write_text(fake_py)
    fake.chmod(0o755)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "base"], check=True)
    for name, text in (after_commit or {}).items():
        (repo / name).write_text(text)
    return repo


def run_recipe(repo: Path, script: str, **codes) -> tuple[int, list[str]]:
    """Run docs/ci/`script` HEAD in the checkout with PY=./fakepy; (exit code, the calls)."""
    log = repo.parent / "calls.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "PY": "./fakepy", "FAKE_LOG": str(log),
           **{k: str(v) for k, v in codes.items()}}
    out = subprocess.run(["bash", f"docs/ci/{script}", "HEAD"], cwd=repo, env=env,
                         capture_output=True, text=True, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    return out.returncode, calls
