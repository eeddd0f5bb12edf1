"""The shipped history index agrees with the shipped specs, and answers "since when" questions."""

from __future__ import annotations

import json

from nd_lsp.specs.history import HISTORY_INDEX, ApiHistory
from nd_lsp.specs.loader import available_versions, load_spec, spec_dir


def test_the_committed_history_index_is_what_the_specs_say() -> None:
    computed = ApiHistory.of(load_spec(v) for v in available_versions())
    committed = json.loads((spec_dir() / HISTORY_INDEX).read_text(encoding="utf-8"))
    assert committed == computed.to_json(), "run `nd-lsp specs generate` (or write_history_index) again"


def test_history_names_the_release_an_item_arrived_in() -> None:
    history = ApiHistory.load()
    assert history.of_item("import", "kvstore_deletebyprefix").since == "0.61.0"
    assert history.of_item("export", "nd_scrobbler_playback_report").since == "0.62.0"
    assert history.of_item("import", "storage_getstoragepath").describe() == (
        "only on Navidrome's master branch (unreleased)"
    )
    assert history.of_item("macro", "register_artist_biography").versions == ()
