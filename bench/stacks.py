"""Software stacks: named sets of pinned packages, each in its own venv under .stacks/.

Definitions live in one data file (stacks.toml at the repository root). A stack venv holds
third-party packages only; the harness runs from this checkout through PYTHONPATH, in the
driver and in Spark's Python workers (PYSPARK_PYTHON is the stack's interpreter), so the
same bench code measures every stack. `run --stack NAME` re-executes `python -m bench run`
in that venv; the run's manifest records the stack (environment.stack).
"""
from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import BenchError

ROOT = Path(__file__).resolve().parent.parent
STACKS_FILE = ROOT / "stacks.toml"
#: Another stacks file (a user's own definitions) instead of the repository's.
FILE_ENV = "BENCH_STACKS_FILE"
STACKS_DIR = ROOT / ".stacks"
#: Set in a stack's run so the manifest can say which stack it was.
ENV_NAME = "BENCH_STACK"
MARKER = "stack.json"


@dataclass(frozen=True)
class Stack:
    name: str
    description: str
    packages: tuple
    project: bool
    source: Path

    @property
    def folder(self) -> Path:
        return STACKS_DIR / self.name

    @property
    def python(self) -> Path:
        return self.folder / "bin" / "python"

    def requirements(self) -> list[str]:
        """What pip installs: the pinned packages, plus pyproject's dependencies if asked."""
        reqs = list(project_dependencies()) if self.project else []
        return reqs + list(self.packages)

    def digest(self) -> str:
        """Changes when the definition (or, for project stacks, pyproject) changes."""
        text = json.dumps([self.requirements(), sys.version_info[:2]], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _toml(path: Path) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise BenchError(f"{path}: reading it needs Python 3.11+ or `pip install tomli`") \
                from None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"{path}: no such stacks file") from None
    except tomllib.TOMLDecodeError as exc:
        raise BenchError(f"{path}: not valid TOML ({exc})") from None


def project_dependencies() -> list[str]:
    return list(_toml(ROOT / "pyproject.toml").get("project", {}).get("dependencies", []))


def load_stacks(path: Path | str | None = None) -> dict[str, Stack]:
    """Every stack of the file, checked: a bad entry is one line naming the stack and key."""
    path = Path(path or os.environ.get(FILE_ENV) or STACKS_FILE)
    data = _toml(path).get("stacks")
    if not isinstance(data, dict) or not data:
        raise BenchError(f"{path}: no [stacks.NAME] tables")
    out = {}
    for name, spec in data.items():
        where = f"{path}: stacks.{name}"
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise BenchError(f"{where}: name may hold letters, digits, '.', '_' and '-' only")
        if not isinstance(spec, dict):
            raise BenchError(f"{where}: expected a table")
        unknown = set(spec) - {"description", "packages", "project"}
        if unknown:
            raise BenchError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                             "(allowed: description, packages, project)")
        packages = spec.get("packages", [])
        if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
            raise BenchError(f"{where}: packages: expected a list of requirement strings")
        project = spec.get("project", False)
        if not isinstance(project, bool):
            raise BenchError(f"{where}: project: expected true or false")
        if not packages and not project:
            raise BenchError(f"{where}: give packages, or project = true")
        out[name] = Stack(name, str(spec.get("description", "")).strip(), tuple(packages),
                          project, path)
    return out


def from_requirements(name: str, file) -> Stack:
    """A stack defined by a pip requirements file (one requirement a line; '#' comments):
    what a CI job has for a branch's pins. pip options (-r, -e, --index-url) are refused
    with the line that holds them: a stack holds third-party packages only."""
    file = Path(file)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise BenchError(f"stack {name!r}: name may hold letters, digits, '.', '_' and '-' only")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchError(f"{file}: cannot read the requirements file "
                         f"({getattr(exc, 'strerror', None) or exc})") from None
    packages = []
    for number, line in enumerate(text.splitlines(), 1):
        req = line.split(" #")[0].strip()
        if not req or req.startswith("#"):
            continue
        if req.startswith("-"):
            raise BenchError(f"{file}:{number}: {req.split()[0]}: pip options are not taken "
                             "(a stack holds pinned packages only; list them one a line)")
        packages.append(req)
    if not packages:
        raise BenchError(f"{file}: no requirements in it")
    return Stack(name, f"from {file.name}", tuple(packages), False, file.resolve())


def _built_from_file(name: str) -> Stack | None:
    """A stack built earlier from a requirements file, as its marker recorded it."""
    marker = STACKS_DIR / name / MARKER
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not info.get("requirements_file"):
        return None
    return Stack(name, f"from {Path(info['requirements_file']).name}",
                 tuple(info.get("requirements") or ()), False, Path(info["requirements_file"]))


def get(name: str, path=None) -> Stack:
    stacks = load_stacks(path)
    if name not in stacks and _built_from_file(name) is not None:
        return _built_from_file(name)
    if name not in stacks:
        raise BenchError(f"stack {name!r} is not defined in "
                         f"{path or os.environ.get(FILE_ENV) or STACKS_FILE} "
                         f"(defined: {', '.join(sorted(stacks))})")
    return stacks[name]


def built_info(stack: Stack) -> dict | None:
    """The marker written when the stack finished building, or None."""
    marker = stack.folder / MARKER
    if not marker.exists() or not stack.python.exists():
        return None
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


def is_current(stack: Stack) -> bool:
    info = built_info(stack)
    return bool(info) and info.get("digest") == stack.digest()


_PIP_PACKAGE = [
    re.compile(r"No matching distribution found for ([^\s;]+)"),
    re.compile(r"Could not find a version that satisfies the requirement ([^\s;]+)"),
    re.compile(r"Failed to build ([^\s]+)"),
    re.compile(r"Failed building wheel for ([^\s]+)"),
    re.compile(r"Cannot install ([^\s]+)"),
]
_PIP_STEP = re.compile(r"^(Collecting|Downloading|Building wheel for|Installing collected|"
                       r"Using cached)\s*(\S*)")


def failing_package(log: str) -> tuple[str | None, str]:
    """(package, pip's error line) from pip's output, for a one-line error."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")] or lines[-1:]
    for pattern in _PIP_PACKAGE:
        for line in lines:
            m = pattern.search(line)
            if m:
                return m.group(1).rstrip(","), (errors[0] if errors else line)
    return None, errors[0] if errors else "pip failed"


class _ProgressLine:
    """One status line on stderr, rewritten in place: elapsed time and pip's current step."""

    def __init__(self, name: str, quiet: bool):
        self.name, self.quiet, self.t0 = name, quiet, time.monotonic()
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def show(self, text: str, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if not force and not self.tty and now - self.last < 15:
            return  # not a terminal (CI log): one line every 15 s at most
        self.last = now
        line = f"stack {self.name}: {now - self.t0:5.0f} s  {text}"
        if self.tty:
            sys.stderr.write("\r" + line[:110].ljust(110))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def done(self, text: str) -> None:
        if not self.quiet:
            if self.tty:
                sys.stderr.write("\r" + " " * 110 + "\r")
            sys.stderr.write(f"stack {self.name}: {text}\n")
            sys.stderr.flush()


def create(name: str, path=None, quiet: bool = False, rebuild: bool = False,
           requirements=None) -> Path:
    """Build the stack's venv (or reuse it when already built from the same definition);
    returns its python. A pin that cannot be installed here is a one-line BenchError naming
    the package; the half-built venv is removed, pip's full output is kept in the log.
    `requirements`: define the stack by that requirements file instead of the stacks file."""
    if requirements is None:
        return _build(get(name, path), quiet, rebuild)
    if name in load_stacks(path):
        raise BenchError(f"stack {name} is defined in the stacks file; name the stack of "
                         f"{requirements} otherwise")
    return _build(from_requirements(name, requirements), quiet, rebuild)


def _build(stack: Stack, quiet: bool, rebuild: bool) -> Path:
    name = stack.name
    progress = _ProgressLine(name, quiet)
    if is_current(stack) and not rebuild:
        progress.done(f"already built in {stack.folder}, reused")
        return stack.python
    STACKS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = STACKS_DIR / f"{name}.pip.log"
    if stack.folder.exists():
        shutil.rmtree(stack.folder)
    t0 = time.monotonic()
    progress.show("creating venv", force=True)
    made = subprocess.run([sys.executable, "-m", "venv", str(stack.folder)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise BenchError(f"stack {name}: python -m venv failed: "
                         f"{(made.stderr or made.stdout).strip().splitlines()[-1:]}")
    reqs = stack.requirements()
    cmd = [str(stack.python), "-m", "pip", "install", "--progress-bar", "off",
           "--disable-pip-version-check", *reqs]
    with open(log_path, "w", encoding="utf-8", buffering=1) as log:
        log.write("$ " + " ".join(cmd) + "\n")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout],
                                  daemon=True)
        reader.start()
        output, step = [], "resolving"
        while reader.is_alive() or not lines.empty():
            try:  # a long silent step (building a wheel) still ticks the clock
                line = lines.get(timeout=1.0)
            except queue.Empty:
                progress.show(step)
                continue
            log.write(line)
            output.append(line)
            m = _PIP_STEP.match(line.strip())
            if m:
                step = f"{m.group(1).lower()} {m.group(2)}"
                progress.show(step)
        rc = proc.wait()
    if rc != 0:
        shutil.rmtree(stack.folder, ignore_errors=True)
        package, line = failing_package("".join(output))
        what = f"cannot install {package}" if package else "pip failed"
        raise BenchError(f"stack {name}: {what} here: {line} (pip's output: {log_path})")
    info = {"name": name, "digest": stack.digest(), "requirements": reqs,
            "python": _python_version(stack.python), "built": time.strftime(
                "%Y-%m-%dT%H:%M:%S%z"), "build_s": round(time.monotonic() - t0, 1),
            "packages": installed_versions(stack.python)}
    if stack.source.suffix != ".toml":  # from a requirements file: the marker defines it
        info["requirements_file"] = str(stack.source)
    (stack.folder / MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    progress.done(f"built in {info['build_s']:.0f} s: {stack.python}")
    return stack.python


def _python_version(python: Path) -> str:
    out = subprocess.run([str(python), "-c", "import sys; print(sys.version.split()[0])"],
                         capture_output=True, text=True)
    return out.stdout.strip()


def installed_versions(python: Path) -> dict:
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    try:
        return dict(sorted(json.loads(out.stdout).items()))
    except json.JSONDecodeError:
        return {}


def active() -> dict | None:
    """The stack this process runs in (for the manifest), or None outside any stack."""
    name = os.environ.get(ENV_NAME)
    if not name:
        return None
    facts = {"name": name}
    marker = Path(sys.prefix) / MARKER
    if marker.exists():
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
            facts.update(requirements=info.get("requirements"), digest=info.get("digest"))
        except json.JSONDecodeError:
            pass
    return facts


def run_env(stack: Stack) -> dict:
    """Environment of a run in the stack: its python for the driver and Spark's workers, this
    checkout's bench first on the path, and the stack's name for the manifest."""
    env = dict(os.environ)
    path = [str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                          if p and Path(p).resolve() != ROOT]
    env.update(PYTHONPATH=os.pathsep.join(path), PYSPARK_PYTHON=str(stack.python),
               PYSPARK_DRIVER_PYTHON=str(stack.python), **{ENV_NAME: stack.name})
    env.pop("VIRTUAL_ENV", None)
    return env


def run_in_stack(name: str, bench_args: list[str], path=None) -> int:
    """`python -m bench BENCH_ARGS` with the stack's interpreter; returns its exit code."""
    stack = get(name, path)
    if built_info(stack) is None:
        raise BenchError(f"stack {name} is not built: run `python -m bench stack create {name}`")
    if not is_current(stack):
        print(f"warning: stack {name} was built from an older definition; rebuild with "
              f"`python -m bench stack create {name} --rebuild`", file=sys.stderr)
    return subprocess.run([str(stack.python), "-m", "bench", *bench_args],
                          env=run_env(stack)).returncode
