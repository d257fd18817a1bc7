"""Loading a scenario file: import it (and the modules next to it) so SparkTrials can ship
its objective to executors by value, read its SCENARIO dict and resolve it with a profile."""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BenchError
from .schema import resolve


@dataclass(frozen=True)
class Scenario:
    """A validated scenario with one profile applied; `settings` holds every key resolved."""

    name: str
    path: Path
    source: str
    sha256: str
    profile: str
    settings: dict
    module: Any

    def manifest_entry(self) -> dict:
        return {"name": self.name, "path": str(self.path), "sha256": self.sha256,
                "source": self.source, "description": self.settings.get("description", "")}


def _sibling_modules(folder: Path, before: set) -> list:
    """Modules imported while the scenario ran whose files live in the scenario's folder
    (installed packages, e.g. a virtualenv inside that folder, are not siblings)."""
    out = []
    for name, mod in list(sys.modules.items()):
        if name in before or "." in name:
            continue
        file = getattr(mod, "__file__", None)
        if not file or "site-packages" in file or "dist-packages" in file:
            continue
        try:
            if Path(file).resolve().is_relative_to(folder):
                out.append(mod)
        except OSError:
            continue
    return out


def _check_shippable_source(path: Path, mod) -> None:
    """Only Python source can travel inside a pickled objective; a compiled module cannot."""
    file = Path(mod.__file__)
    if file.suffix != ".py":
        raise BenchError(f"{path}: imports {mod.__name__} ({file.name}) from next to the "
                         "scenario, which cannot be shipped to executors by value; install it "
                         "where the executors' Python finds it (pip install on every worker, "
                         "or spark.submit.pyFiles)")


def ship_by_value(module) -> None:
    """Make cloudpickle copy the module's functions and classes into every pickled objective
    instead of naming the module: executors cannot import a scenario file from its folder."""
    try:
        from pyspark import cloudpickle
    except ImportError:  # no Spark here: nothing is shipped
        return
    cloudpickle.register_pickle_by_value(module)


def _import_file(path: Path):
    """Import a scenario file (and modules next to it) so that SparkTrials can ship them."""
    name = f"bench_scenario_{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    before = set(sys.modules)
    sys.path.insert(0, str(path.parent))  # `import helpers` from next to the scenario
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the scenario's own code failed: say where
        del sys.modules[name]
        raise BenchError(f"{path}: failed to load: {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(str(path.parent))
    siblings = _sibling_modules(path.parent, before)
    for mod in siblings:
        _check_shippable_source(path, mod)
    for mod in [module, *siblings]:
        ship_by_value(mod)
    return module


def load(path: str | Path, profile: str = "quick") -> Scenario:
    """Load and validate a scenario file; the one entry point the CLI and API use."""
    path = Path(path)
    if not path.is_file():
        hint = " (see `python -m bench list`)" if not path.suffix else ""
        raise BenchError(f"{path}: scenario file not found{hint}")
    source = path.read_text(encoding="utf-8")
    module = _import_file(path.resolve())  # runs the file's code
    raw = getattr(module, "SCENARIO", None)
    if raw is None:
        raise BenchError(f"{path}: SCENARIO: missing; a scenario file defines SCENARIO = {{...}}")
    if not isinstance(raw, dict):
        raise BenchError(f"{path}: SCENARIO: expected dict, got {type(raw).__name__}")
    settings = resolve(raw, profile, path)
    return Scenario(name=settings["name"], path=path, source=source,
                    sha256=source_sha256(source), profile=profile,
                    settings=settings, module=module)


def source_sha256(source: str) -> str:
    """The hash a run records of its scenario file's text (checked before --resume runs it)."""
    return hashlib.sha256(source.encode()).hexdigest()


def find_scenarios(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).glob("*.py") if not p.name.startswith("_"))
