"""Scenario settings described for the manifest: JSON-safe, with functions named and hyperopt
search spaces written as short stable text (never pickled)."""
from __future__ import annotations


def describe_settings(settings: dict) -> dict:
    """A JSON-safe copy of the settings for the manifest (functions and spaces named, not pickled)."""
    def safe(v):
        if isinstance(v, dict):
            return {str(k): safe(x) for k, x in v.items()}
        if isinstance(v, list):
            return [safe(x) for x in v]
        if v is None or isinstance(v, (str, int, float, bool)):
            return v
        if type(v).__name__ == "Apply":  # a hyperopt search-space node
            return space_text(v)
        return getattr(v, "__qualname__", None) or type(v).__name__
    return safe(settings)


def space_text(node) -> str:
    """A hyperopt space expression as short stable text, e.g. 'choice(max_depth: 20, 30)'."""
    name = getattr(node, "name", None)
    args = list(getattr(node, "pos_args", []))
    if name == "literal":
        return repr(node.obj)
    if name in ("float", "int") and len(args) == 1:
        return space_text(args[0])
    if name == "hyperopt_param" and len(args) == 2:
        label, dist = args[0].obj, args[1]
        return f"{dist.name}({label}: {', '.join(space_text(a) for a in dist.pos_args)})"
    if name == "switch" and args:
        inner = space_text(args[0])
        label = inner.split("(", 1)[1].split(":", 1)[0] if "(" in inner else inner
        return f"choice({label}: {', '.join(space_text(a) for a in args[1:])})"
    return " ".join(str(node).split())
