"""`tomllib`, or `tomli` (the same API) before Python 3.11.

Modules that may never read TOML import this inside the function that does: importing tomllib costs
~3 ms, and most checks of Go and Python plugins read no TOML file at all.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["tomllib"]
