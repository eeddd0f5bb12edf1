"""Lookup tables built once per spec: rules ask the same question of a spec for every call, impl or
export of a plugin, on every keystroke."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from nd_lsp.specs.model import Spec

T = TypeVar("T")
MAX_SPECS = 16  # the server uses one or two versions; tests build a few specs of their own


def per_spec(build: Callable[[Spec], T]) -> Callable[[Spec], T]:
    """`build(spec)`, computed once per spec object.

    Keyed by identity (a Spec is a large tree: hashing it would cost more than the lookups save). Each
    entry keeps its spec alive, so an id is never reused while its table is kept.
    """
    tables: OrderedDict[int, tuple[Spec, T]] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(build)
    def table(spec: Spec) -> T:
        with lock:
            found = tables.get(id(spec))
            if found is not None:
                tables.move_to_end(id(spec))
                return found[1]
        built = build(spec)
        with lock:
            tables[id(spec)] = (spec, built)
            while len(tables) > MAX_SPECS:
                tables.popitem(last=False)
        return built

    return table
