"""The one way the server builds a jedi.Script: with a project and an interpreter the server chooses.

Left to itself, jedi reads `.jedi/project.json` from the file's folder or any parent and starts the
interpreter it names (with `safe=False`), honours $VIRTUAL_ENV / $CONDA_PREFIX, may import native
extension modules found in the project, and really imports the modules listed in
`jedi.settings.auto_import_modules`. A cloned repository could run code that way. Here:
- the project is built in code, never loaded from the workspace, with unsafe extensions off;
- the environment is the server's own interpreter (sys.executable); jedi runs it as a separate helper
  process, so module lookups (which swap sys.path) and compiled-module introspection never
  happen inside the server;
- nothing is auto-imported.
Workspace modules are still read for completion, as source parsed by parso: never executed.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nd_lsp.check.discovery import plugin_root_for

if TYPE_CHECKING:
    import jedi
    from jedi.api.environment import Environment


def script(text: str, path: Path) -> jedi.Script:
    """A jedi.Script for an open Python file of a plugin."""
    import jedi

    _configure()
    project = jedi.Project(plugin_root_for(path), load_unsafe_extensions=False)
    return jedi.Script(text, path=str(path), project=project, environment=server_environment())


@functools.cache
def server_environment() -> Environment:
    """The server's own interpreter (one helper process for the whole session).

    Not `safe=True`: jedi's safety check would start every python3.X on $PATH to compare them, and
    $PATH may hold a workspace's folders. The server's own interpreter needs no check.
    """
    import jedi

    return jedi.create_environment(sys.executable, safe=False)


@functools.cache
def _configure() -> None:
    import jedi

    jedi.settings.auto_import_modules = []  # jedi would import these for real, from wherever it finds them
