"""The facts of two runs' setups that differ (packages, Python, Java, cores, Spark settings,
scenario), leaving out what differs between any two sessions: possible causes of a change."""
from __future__ import annotations

import json

#: Spark settings that differ between any two sessions and say nothing about the setup.
_VOLATILE_CONF = ("spark.app.id", "spark.app.startTime", "spark.app.submitTime",
                  "spark.driver.port", "spark.eventLog.dir", "spark.sql.warehouse.dir",
                  "spark.executor.id", "spark.app.initial.")
#: Environment facts that change from run to run on the same setup (shown apart).
_VOLATILE_ENV = ("load_average",)


def environment_facts(manifest: dict) -> dict:
    """The facts of a run's setup that can explain a change, as dotted keys -> text."""
    from ..markdown_blocks import flatten

    env = {k: v for k, v in (manifest.get("environment") or {}).items()
           if k not in _VOLATILE_ENV}
    facts = {f"environment.{k}": v for k, v in flatten(env)}
    spark = dict(manifest.get("spark") or {})
    conf = spark.pop("conf", {}) or {}
    spark.pop("app_id", None)
    facts.update({f"spark.{k}": v for k, v in flatten(spark)})
    facts.update({f"spark.conf.{k}": v for k, v in conf.items()
                  if not k.startswith(_VOLATILE_CONF)})
    scn = manifest.get("scenario") or {}
    facts["scenario.name"] = scn.get("name")
    facts["scenario.sha256"] = (scn.get("sha256") or "")[:12] or None
    facts["profile"] = manifest.get("profile")
    facts["requested.conf"] = (manifest.get("requested") or {}).get("conf")
    return {k: v for k, v in facts.items()}


def environment_differences(base: dict, new: dict) -> list[tuple[str, object, object]]:
    """(fact, base, new) for every fact that differs, packages first."""
    a, b = environment_facts(base), environment_facts(new)
    keys = sorted(set(a) | set(b), key=lambda k: (not k.startswith("environment.packages"),
                                                  not k.startswith("environment.stack"), k))
    return [(k, a.get(k), b.get(k)) for k in keys
            if json.dumps(a.get(k), sort_keys=True, default=str)
            != json.dumps(b.get(k), sort_keys=True, default=str)]
