"""Scenario files: load a module from scenarios/, validate its SCENARIO dict, apply a profile.

A scenario is plain data (a dict named SCENARIO) so that it can be validated before anything
runs and stored verbatim in the manifest. Every problem is reported as one line naming the
key and the file.

`schema` holds the keys, defaults, profiles and checks; `loading` imports the file and
resolves it (`load` is the one entry point the CLI and API use); `describe` writes the
settings for the manifest.
"""
from .describe import describe_settings, space_text
from .loading import Scenario, find_scenarios, load, ship_by_value, source_sha256
from .schema import (ALGOS, CLUSTER_KEYS, CONDITION_KEYS, DATA_KEYS, DEFAULTS, KEYS, PROFILES,
                     SLEEP_KEYS, WORKLOAD_KEYS, profile_names, resolve, validate)

__all__ = ["ALGOS", "CLUSTER_KEYS", "CONDITION_KEYS", "DATA_KEYS", "DEFAULTS", "KEYS",
           "PROFILES", "SLEEP_KEYS", "WORKLOAD_KEYS", "Scenario", "describe_settings",
           "find_scenarios", "load", "profile_names", "resolve", "ship_by_value", "source_sha256",
           "space_text",
           "validate"]
