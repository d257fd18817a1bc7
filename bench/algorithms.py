"""Which hyperopt search algorithms take several new trial ids per call.

fmin hands its algorithm up to ``max_queue_len`` new ids at once. tpe, rand and atpe handle
any number (tpe returns a single point once past its random start-up); ``anneal.suggest``
unpacks exactly one (``(new_id,) = new_ids``) and raises ValueError for more, so a queue
longer than one is only safe where the algorithm's own code takes it. No hyperopt import.
"""
from __future__ import annotations

import functools

#: hyperopt algorithms (module, name) whose code handles several new trial ids per call.
#: anneal.suggest is not among them: it unpacks `(new_id,) = new_ids`.
SEVERAL_IDS = frozenset({("hyperopt.tpe", "suggest"), ("hyperopt.rand", "suggest"),
                         ("hyperopt.rand", "suggest_batch"), ("hyperopt.anneal", "suggest_batch"),
                         ("hyperopt.atpe", "suggest")})


def suggests_several(algo) -> bool:
    """Whether `algo` takes several new trial ids per call, so a queue longer than one is safe.

    Sees through functools.partial and ``__wrapped__``; ``mix.suggest`` takes several when
    every algorithm it mixes does; an object may say so itself with a ``suggests_several``
    attribute. Anything else (anneal.suggest, an unknown algorithm) counts as one at a time.
    """
    keywords: dict = {}
    while True:
        declared = getattr(algo, "suggests_several", None)
        if isinstance(declared, bool):
            return declared
        if isinstance(algo, functools.partial):
            keywords = {**algo.keywords, **keywords}
            algo = algo.func
        elif getattr(algo, "__wrapped__", None) is not None:
            algo = algo.__wrapped__
        else:
            break
    key = (getattr(algo, "__module__", None), getattr(algo, "__qualname__", None))
    if key == ("hyperopt.mix", "suggest"):
        mixed = keywords.get("p_suggest")
        return bool(mixed) and all(suggests_several(f) for _, f in mixed)
    return key in SEVERAL_IDS
