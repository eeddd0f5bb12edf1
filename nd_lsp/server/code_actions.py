"""Quick fixes: the fixes the engine attached to each published diagnostic, read from `data`."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from lsprotocol import types

from nd_lsp.server.diagnostics import SOURCE

log = logging.getLogger(__name__)


def quick_fixes(params: types.CodeActionParams, document_version: int | None) -> list[types.CodeAction]:
    """One code action per fix of every nd-lsp diagnostic the client sent back.

    A diagnostic published for another version of the document is skipped: its edits would land on
    the wrong text. Display-only fixes have nothing to apply.
    """
    only = params.context.only
    if only and not _wanted(types.CodeActionKind.QuickFix, only):
        return []
    actions: list[types.CodeAction] = []
    for diagnostic in params.context.diagnostics:
        if diagnostic.source != SOURCE or not isinstance(diagnostic.data, Mapping):
            continue
        if diagnostic.data.get("version") not in (None, document_version):
            continue
        for fix in diagnostic.data.get("fixes") or ():
            action = _action(diagnostic, fix)
            if action is not None:
                actions.append(action)
    return actions


def _wanted(kind: str, only: Sequence[str]) -> bool:
    return any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


def _action(diagnostic: types.Diagnostic, fix: Any) -> types.CodeAction | None:
    if not isinstance(fix, Mapping) or fix.get("applicability") == "display":
        return None
    changes = fix.get("changes")
    if not isinstance(changes, Mapping) or not changes:
        return None
    try:
        edit = types.WorkspaceEdit(changes={uri: [_text_edit(e) for e in edits] for uri, edits in changes.items()})
    except (KeyError, TypeError, ValueError):  # a client that mangled `data`
        log.warning("ignoring a malformed fix in diagnostic data: %r", fix)
        return None
    return types.CodeAction(
        title=str(fix.get("title", "Apply fix")),
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=edit,
        is_preferred=bool(fix.get("preferred")) or None,
    )


def _text_edit(raw: Mapping[str, Any]) -> types.TextEdit:
    rng = raw["range"]
    return types.TextEdit(
        range=types.Range(
            start=types.Position(line=int(rng["start"]["line"]), character=int(rng["start"]["character"])),
            end=types.Position(line=int(rng["end"]["line"]), character=int(rng["end"]["character"])),
        ),
        new_text=str(raw["newText"]),
    )
