"""Quick fixes: each one is the engine's fix, applied as the editor would, and the finding is gone."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_server_support import (  # noqa: F401
    apply_text_edits,
    client_fixture,
    codes,
    open_file,
    record_published,
    replace_all,
    start,
    wait_for,
    write_plugin,
)

CARGO = """[package]
name = "p"
version = "0.1.0"

[lib]
crate-type = ["cdylib"]

[dependencies]
extism-pdk = "1"
nd-pdk = { git = "https://github.com/navidrome/navidrome", tag = "v0.63.2" }
"""
# Every mistake below has a fix: ND101 (missing method), ND102 (unregistered provider), ND109 (no Default).
SCROBBLER_RS = """use nd_pdk::metadata::{ArtistBiographyProvider, ArtistBiographyResponse, ArtistRequest};
use nd_pdk::scrobbler::{Error, IsAuthorizedRequest, NowPlayingRequest, ScrobbleRequest, Scrobbler};

struct Plugin;

impl Scrobbler for Plugin {
    fn is_authorized(&self, _req: IsAuthorizedRequest) -> Result<bool, Error> {
        Ok(true)
    }
    fn now_playing(&self, _req: NowPlayingRequest) -> Result<(), Error> {
        Ok(())
    }
    fn scrobble(&self, _req: ScrobbleRequest) -> Result<(), Error> {
        Ok(())
    }
}

impl ArtistBiographyProvider for Plugin {
    fn get_artist_biography(&self, _req: ArtistRequest) -> Result<ArtistBiographyResponse, Error> {
        Ok(ArtistBiographyResponse::default())
    }
}

nd_pdk::register_scrobbler!(Plugin);
"""
SCROBBLER_MANIFEST = '{"name": "p", "author": "a", "version": "1.0.0", "permissions": {"users": {"reason": "x"}}}\n'
# ND103 (unknown macro), ND303 (kvstore used, not declared), ND304 (http declared, unused).
PERMISSIONS_RS = """use nd_pdk::host::kvstore;
use nd_pdk::metadata::{ArtistBiographyProvider, ArtistBiographyResponse, ArtistRequest, Error};

#[derive(Default)]
struct Plugin;

impl ArtistBiographyProvider for Plugin {
    fn get_artist_biography(&self, _req: ArtistRequest) -> Result<ArtistBiographyResponse, Error> {
        let _ = kvstore::set("k", vec![]);
        Ok(ArtistBiographyResponse::default())
    }
}

nd_pdk::register_artist_biography!(Plugin);
"""
PERMISSIONS_MANIFEST = (
    '{"name": "p", "author": "a", "version": "1.0.0", '
    '"permissions": {"http": {"reason": "x", "requiredHosts": ["*"]}}}\n'
)
CASES = {
    "ND101": (SCROBBLER_RS, SCROBBLER_MANIFEST),
    # With Default derived: the added registration must not bring another ND109 along.
    "ND102": (SCROBBLER_RS.replace("struct Plugin;", "#[derive(Default)]\nstruct Plugin;"), SCROBBLER_MANIFEST),
    "ND109": (SCROBBLER_RS, SCROBBLER_MANIFEST),
    "ND103": (PERMISSIONS_RS, PERMISSIONS_MANIFEST),
    "ND303": (PERMISSIONS_RS, PERMISSIONS_MANIFEST),
    "ND304": (PERMISSIONS_RS, PERMISSIONS_MANIFEST),
}


async def _published_at(
    client: LanguageClient, published: list[types.PublishDiagnosticsParams], versions: dict[str, int]
) -> dict[str, list[types.Diagnostic]]:
    """The diagnostics of each document once the server published them for the given versions."""

    def latest(uri: str) -> types.PublishDiagnosticsParams | None:
        return next((p for p in reversed(published) if p.uri == uri and p.version == versions[uri]), None)

    await wait_for(lambda: all(latest(uri) is not None for uri in versions))
    return {uri: list(latest(uri).diagnostics) for uri in versions}  # type: ignore[union-attr]


@pytest.mark.asyncio
@pytest.mark.parametrize("code", sorted(CASES))
async def test_each_quick_fix_removes_its_finding_and_nothing_else(
    client: LanguageClient, tmp_path: Path, code: str
) -> None:
    lib_text, manifest_text = CASES[code]
    write_plugin(tmp_path, {"Cargo.toml": CARGO, "manifest.json": manifest_text, "src/lib.rs": lib_text})
    await start(client, tmp_path)
    published = record_published(client)
    texts = {
        open_file(client, tmp_path / "src/lib.rs"): lib_text,
        open_file(client, tmp_path / "manifest.json"): manifest_text,
    }
    before = await _published_at(client, published, dict.fromkeys(texts, 1))
    target_uri, diagnostic = next((u, d) for u, ds in before.items() for d in ds if d.code == code)

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=target_uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert actions, f"no quick fix offered for {code}"
    action = next((a for a in actions if isinstance(a, types.CodeAction) and a.is_preferred), actions[0])
    assert isinstance(action, types.CodeAction) and action.kind == types.CodeActionKind.QuickFix
    assert action.edit is not None and action.edit.changes

    for uri, old in list(texts.items()):
        new = apply_text_edits(old, action.edit.changes.get(uri, []))
        replace_all(client, uri, old, new, version=2)  # both documents move on, so both are re-published
        texts[uri] = new
    after = await _published_at(client, published, dict.fromkeys(texts, 2))

    old_codes = Counter(c for ds in before.values() for c in codes(ds))
    new_codes = Counter(c for ds in after.values() for c in codes(ds))
    old_codes[code] -= 1
    assert +old_codes == new_codes, f"{action.title}: expected {sorted(old_codes.elements())}, got {sorted(new_codes)}"


@pytest.mark.asyncio
async def test_fixes_are_not_offered_for_an_older_version_of_the_document(
    client: LanguageClient, tmp_path: Path
) -> None:
    write_plugin(tmp_path, {"Cargo.toml": CARGO, "manifest.json": PERMISSIONS_MANIFEST, "src/lib.rs": PERMISSIONS_RS})
    await start(client, tmp_path, {"debounceMs": 5000})
    published = record_published(client)
    uri = open_file(client, tmp_path / "src/lib.rs")
    stale = (await _published_at(client, published, {uri: 1}))[uri]
    replace_all(client, uri, PERMISSIONS_RS, "\n" + PERMISSIONS_RS, version=2)  # every line moved down
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=stale[0].range,
            context=types.CodeActionContext(diagnostics=stale),
        )
    )
    assert not actions
