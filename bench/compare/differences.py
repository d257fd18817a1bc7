"""The facts of two runs' setups that differ (packages, Python, Java, cores, Spark settings,
scenario), leaving out what differs between any two sessions: possible causes of a change."""
from __future__ import annotations

import json

from ..model import Manifest

#: Spark settings that differ between any two sessions and say nothing about the setup.
_VOLATILE_CONF = ("spark.app.id", "spark.app.startTime", "spark.app.submitTime",
                  "spark.driver.port", "spark.eventLog.dir", "spark.sql.warehouse.dir",
                  "spark.executor.id", "spark.app.initial.")
#: Environment facts that change from run to run on the same setup (shown apart).
_VOLATILE_ENV = ("load_average",)


def environment_facts(manifest: Manifest) -> dict:
    """The facts of a run's setup that can explain a change, as dotted keys -> text."""
    from ..markdown_blocks import flatten

    env = manifest.environment_facts(leave_out=_VOLATILE_ENV)
    facts = {f"environment.{k}": v for k, v in flatten(env)}
    spark = manifest.session_facts(leave_out=("conf", "app_id"))
    facts.update({f"spark.{k}": v for k, v in flatten(spark)})
    facts.update({f"spark.conf.{k}": v for k, v in manifest.session_conf.items()
                  if not k.startswith(_VOLATILE_CONF)})
    facts["scenario.name"] = manifest.scenario_name
    facts["scenario.sha256"] = (manifest.scenario_sha256 or "")[:12] or None
    facts["profile"] = manifest.profile
    facts["requested.conf"] = manifest.requested_conf
    return {k: v for k, v in facts.items()}


def environment_differences(base: Manifest, new: Manifest) -> list[tuple[str, object, object]]:
    """(fact, base, new) for every fact that differs, packages first."""
    a, b = environment_facts(base), environment_facts(new)
    keys = sorted(set(a) | set(b), key=lambda k: (not k.startswith("environment.packages"),
                                                  not k.startswith("environment.stack"), k))
    return [(k, a.get(k), b.get(k)) for k in keys
            if json.dumps(a.get(k), sort_keys=True, default=str)
            != json.dumps(b.get(k), sort_keys=True, default=str)]
