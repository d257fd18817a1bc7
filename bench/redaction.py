"""One redaction for everything a run writes or prints: manifest (grid, scenario source copy,
requested and Spark settings), records, reports, logs, stdout.

- Keys: a setting whose name matches Spark's redaction pattern holds a secret. The pattern is
  Spark's default (`(?i)secret|password|token|access[.]?key|credential`) together with the
  running Spark's own `spark.redaction.regex` once it is known (`learn_conf`), and Azure's
  `account.key`; its value is replaced wherever the setting appears.
- Values: the password of a URL's userinfo (`https://user:pass@host`) and credential query
  parameters (`?sig=...`, `&token=...`, `password=...`) are replaced in any text.
- Every secret value seen under a secret key is remembered for this process and scrubbed from
  text too (a log that prints it without its key).
"""
from __future__ import annotations

import re
from pathlib import Path

#: Spark's default spark.redaction.regex (Spark 4).
SPARK_DEFAULT_REGEX = r"(?i)secret|password|token|access[.]?key|credential"
#: Keys bench redacts on top of Spark's pattern, whatever Spark's pattern is.
ALWAYS_REGEX = r"(?i)account[.]key"
#: What Spark itself writes in place of a redacted value.
REDACTED = "*********(redacted)"
#: Values shorter than this are not scrubbed from free text (they would mangle it); under a
#: secret key they are redacted whatever their length.
MIN_SCRUB_LEN = 4

_key_patterns: list[re.Pattern] = [re.compile(SPARK_DEFAULT_REGEX), re.compile(ALWAYS_REGEX)]
_secret_values: set[str] = set()

#: scheme://user:password@ — the password part (group 2) goes
_USERINFO = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@\"'<>]*:)([^\s/@\"'<>]+)(@)")
#: ?name=value / &name=value / ;name=value for credential-like names
_QUERY = re.compile(r"""([?&;](?:sig|signature|token|access_token|id_token|refresh_token|"""
                    r"""password|passwd|pwd|secret|api[_-]?key|apikey|key|credential|"""
                    r"""x-amz-signature|x-amz-credential|x-amz-security-token|sas)=)"""
                    r"""(?!\*{9})[^&\s"'<>#]+""", re.IGNORECASE)
#: `key=value`, `key: value`, `"key": "value"` (the key in group 2, everything up to the value
#: in group 1)
_PAIR = re.compile(r"""((?:^|(?<=[\s"'(,]))([\w.\-]+)["']?\s*[=:]\s*["']?)(?!\*{9})[^\s"',)]+""",
                   re.MULTILINE)


def _remember(value) -> None:
    """Keep a secret's value to scrub it from free text; a flag or a number under a secret-
    looking key (spark.security.credentials.hive.enabled=false) is no secret and would
    mangle every text it appears in."""
    value = str(value)
    if value in ("", REDACTED) or value.lower() in ("true", "false", "none", "null") \
            or value.replace(".", "", 1).isdigit():
        return
    _secret_values.add(value)


def learn_regex(regex) -> None:
    """Also redact keys matching `regex` (a Spark session's spark.redaction.regex)."""
    if not regex or any(p.pattern == regex for p in _key_patterns):
        return
    try:
        _key_patterns.append(re.compile(str(regex)))
    except re.error:
        pass  # Spark would refuse it too; the default pattern still applies


def learn_conf(conf) -> None:
    """Take in a set of Spark settings: its spark.redaction.regex, and its secret values."""
    conf = dict(conf or {})
    learn_regex(conf.get("spark.redaction.regex"))
    for key, value in conf.items():
        if is_secret(key) and value is not None:
            _remember(value)


def is_secret(key) -> bool:
    return any(p.search(str(key)) for p in _key_patterns)


def conf(settings: dict | None) -> dict:
    """Spark settings as they may be stored: every secret's value replaced, URLs cleaned."""
    learn_conf(settings)
    return {k: (REDACTED if is_secret(k) and v is not None else
                text(v) if isinstance(v, str) else v) for k, v in (settings or {}).items()}


def argv(args) -> list[str]:
    """A command line as it may be stored: values of secret settings replaced in every form a
    setting is given (`--conf k=v`, `--conf=k=v`, `-Dk=v`), URLs cleaned."""
    out = []
    for arg in map(str, args):
        prefix, body = "", arg
        for lead in ("--conf=", "-D"):
            if arg.startswith(lead):
                prefix, body = lead, arg[len(lead):]
        key, sep, value = body.partition("=")
        if sep and is_secret(key):
            _remember(value)
            arg = f"{prefix}{key}={REDACTED}"
        out.append(values(arg))
    return out


def values(txt: str, secrets=()) -> str:
    """Text with every known secret value, URL password and credential query parameter
    replaced (keys are left alone: safe inside JSON and data)."""
    for value in sorted({*_secret_values, *secrets}, key=len, reverse=True):
        if len(value) >= MIN_SCRUB_LEN:
            txt = txt.replace(value, REDACTED)
    txt = _USERINFO.sub(lambda m: m.group(1) + REDACTED + m.group(3), txt)
    return _QUERY.sub(lambda m: m.group(1) + REDACTED, txt)


def text(txt: str, secrets=()) -> str:
    """Free text (a log, a scenario's source, a report): `values`, plus `key=value`,
    `key: value` and `"key": "value"` pairs of secret keys redacted whatever their value."""
    txt = values(txt, secrets)
    return _PAIR.sub(lambda m: m.group(1) + REDACTED if is_secret(m.group(2)) else m.group(0),
                     txt)


def tree(obj, keys: bool = True):
    """JSON-like data as it may be stored: strings cleaned by `text`, and with keys=True the
    value under a secret key replaced (settings maps, the manifest). Records (keys=False)
    keep their keys' values: a hyperparameter named `max_tokens` is data, not a secret."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if keys and is_secret(key) and value is not None and not isinstance(value, (dict, list)):
                _remember(value)
                out[key] = REDACTED
            else:
                out[key] = tree(value, keys)
        return out
    if isinstance(obj, (list, tuple)):
        return [tree(v, keys) for v in obj]
    if isinstance(obj, str):
        return text(obj) if keys else values(obj)
    return obj


def files(folder: Path, secrets=()) -> int:
    """Redact every text file under `folder` in place (logs copied into a results folder).
    Returns how many files changed."""
    changed = 0
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            old = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        clean = text(old, secrets)
        if clean != old:
            path.write_text(clean, encoding="utf-8")
            changed += 1
    return changed
