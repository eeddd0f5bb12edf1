"""Did-you-mean suggestions point at the name a user meant, and at nothing when nothing is close."""

from __future__ import annotations

import pytest

from nd_lsp.rules.plugin_api import suggest
from nd_lsp.specs.loader import load_spec

SPEC = load_spec("0.63.2")
EXPORTS = list(SPEC.all_exports())
MACROS = [m.name for c in SPEC.capabilities for m in c.rust_macros]
GO_HOST = [f.go_function for s in SPEC.host_services for f in s.functions]
RUST_LIBRARY = [f.rust_function for f in SPEC.host_service("Library").functions]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("typed", "pool", "meant"),
    [
        ("register_artist_biography", MACROS, "register_metadata_artist_biography"),
        ("register_init", MACROS, "register_lifecycle_init"),
        ("register_text_message", MACROS, "register_websocket_text_message"),
        ("register_scrobler", MACROS, "register_scrobbler"),
        ("nd_get_album_image", EXPORTS, "nd_get_album_images"),
        ("KVStoreDeletePrefix", GO_HOST, "KVStoreDeleteByPrefix"),
        ("get_all", RUST_LIBRARY, "get_all_libraries"),
    ],
)
def test_a_near_miss_suggests_the_real_name(typed: str, pool: list[str], meant: str) -> None:
    assert suggest(typed, pool) == [meant]


@pytest.mark.parametrize(("typed", "pool"), [("nd_test_users", EXPORTS), ("info", MACROS), ("format", MACROS)])
def test_an_unrelated_name_gets_no_suggestion(typed: str, pool: list[str]) -> None:
    assert suggest(typed, pool) == []
