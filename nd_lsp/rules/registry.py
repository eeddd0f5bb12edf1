"""The rule registry: every Rule subclass defined in a module of nd_lsp.rules, by code."""

from __future__ import annotations

import functools
import importlib
import os

import nd_lsp.rules as rules_package
from nd_lsp.rules.finding import Rule

_INFRASTRUCTURE = {"finding", "context", "registry", "fixtures"}


def _subclasses(cls: type[Rule]) -> list[type[Rule]]:
    found: list[type[Rule]] = []
    for sub in cls.__subclasses__():
        if getattr(sub, "code", None):
            found.append(sub)
        found.extend(_subclasses(sub))
    return found


@functools.lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule, ordered by code."""
    for name in _rule_modules():
        importlib.import_module(f"{rules_package.__name__}.{name}")
    by_code = {rule.code: rule for rule in _subclasses(Rule)}
    return tuple(by_code[code] for code in sorted(by_code))


def _rule_modules() -> list[str]:
    """The modules of the package but its infrastructure and private helpers, read from its folder
    (pkgutil would cost ~0.5 ms to import on every check)."""
    names = {
        entry.removesuffix(".py")
        for folder in rules_package.__path__
        for entry in os.listdir(folder)
        if entry.endswith(".py")
    }
    return sorted(n for n in names if n not in _INFRASTRUCTURE and not n.startswith("_") and n.isidentifier())


def rule_by_code(code: str) -> type[Rule] | None:
    return next((r for r in all_rules() if r.code == code.upper()), None)
