"""A second Python for Spark's executors: the user's libraries (hyperopt, pyspark,
scikit-learn, at the driver's versions) and not bench, as on a cluster whose workers never
had bench installed.

Built once under .test-venvs/ (git-ignored; about a minute from pip's cache) and reused while
the versions and the Python stay the same; a READY file marks a finished build.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hyperopt", "pyspark", "scikit-learn")
FOLDER = ROOT / ".test-venvs"
BUILD_TIMEOUT_S = 1200


def pins() -> list[str]:
    return [f"{name}=={version(name)}" for name in PACKAGES]


def executor_python() -> tuple[Path, float]:
    """The venv's interpreter, and the seconds spent building it now (0 when cached)."""
    digest = hashlib.sha256(json.dumps([pins(), list(sys.version_info[:3])]).encode())
    folder = FOLDER / f"executors-{digest.hexdigest()[:12]}"
    python = folder / "bin" / "python"
    if (folder / "READY").exists():
        return python, 0.0
    began = time.monotonic()
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", *pins()], check=True,
                   timeout=BUILD_TIMEOUT_S)
    seconds = time.monotonic() - began
    (folder / "READY").write_text(json.dumps({"pins": pins(), "build_s": round(seconds, 1)}))
    return python, seconds
