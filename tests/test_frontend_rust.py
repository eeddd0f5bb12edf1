"""The Rust front-end reads what a plugin crate's code says: impls, registrations, host calls, uses."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from nd_lsp.frontends.facts import FileFacts, PluginFacts, Position, Span
from nd_lsp.frontends.rust import read_rust, resolve_crate_constants
from nd_lsp.specs.model import PdkLayout

LAYOUT = PdkLayout(rust_crate="nd_pdk", rust_host_module="host", import_namespace="extism:host/user")
PATH = Path("/plugin/src/lib.rs")


def read(source: str, path: Path = PATH) -> FileFacts:
    return read_rust(path, source, LAYOUT)


def at(span: Span | None) -> str:
    """1-based `line:col-line:col`, as an editor shows it."""
    assert span is not None
    return f"{span.start.line + 1}:{span.start.column + 1}-{span.end.line + 1}:{span.end.column + 1}"


PLUGIN = """\
use nd_pdk::metadata::{ArtistBiographyProvider, ArtistRequest, ArtistBiographyResponse, Error};

#[derive(Debug, Default)]
struct MyPlugin;

impl ArtistBiographyProvider for MyPlugin {
    fn get_artist_biography(&self, req: ArtistRequest) -> Result<ArtistBiographyResponse, Error> {
        Ok(ArtistBiographyResponse::default())
    }
}

nd_pdk::register_metadata_artist_biography!(MyPlugin);
"""


def test_trait_impl_is_resolved_through_use_to_its_full_path() -> None:
    (impl,) = read(PLUGIN).impls
    assert impl.trait == "ArtistBiographyProvider"
    assert impl.trait_path == ("nd_pdk", "metadata", "ArtistBiographyProvider")
    assert impl.type_name == "MyPlugin"
    assert at(impl.trait_span) == "6:6-6:29"
    (method,) = impl.methods
    assert method.name == "get_artist_biography"
    assert method.params == ("ArtistRequest",)
    assert method.results == ("Result<ArtistBiographyResponse, Error>",)
    assert at(method.span) == "7:8-7:28"


def test_method_stubs_go_on_the_line_of_the_closing_brace_with_the_methods_indent() -> None:
    (impl,) = read(PLUGIN).impls
    assert impl.insert_at == Position(9, 0)
    assert impl.indent == "    "


def test_empty_impl_on_one_line_inserts_before_its_brace() -> None:
    (impl,) = read("impl nd_pdk::lyrics::Lyrics for L {}\n").impls
    assert impl.trait_path == ("nd_pdk", "lyrics", "Lyrics")
    assert impl.insert_at == Position(0, 35)
    assert impl.indent == "    "


def test_derives_and_where_default_can_be_merged_in() -> None:
    (declared,) = read(PLUGIN).types
    assert declared.name == "MyPlugin"
    assert declared.derives == frozenset({"Debug", "Default"})
    assert declared.derive_insert_at == Position(2, 23)
    assert declared.attribute_insert_at == Position(3, 0)


def test_manual_default_impl_counts_as_default() -> None:
    facts = read("struct P;\nimpl Default for P { fn default() -> Self { P } }\n")
    assert facts.types[0].has_default_impl


def test_registration_names_macro_target_and_crate() -> None:
    (registration,) = read(PLUGIN).registrations
    assert registration.name == "register_metadata_artist_biography"
    assert registration.package == "nd_pdk"
    assert registration.target == "MyPlugin"
    assert registration.path_segments == ("nd_pdk", "register_metadata_artist_biography")
    assert at(registration.name_span) == "12:9-12:43"
    assert at(registration.target_span) == "12:45-12:53"


def test_bare_macro_imported_from_the_pdk_is_a_registration_and_its_use_a_macro_use() -> None:
    facts = read('use nd_pdk::register_scrobbler as reg;\nreg!(P);\nprintln!("x");\n')
    (registration,) = facts.registrations
    assert registration.name == "register_scrobbler"
    assert registration.path_segments == ("reg",)
    assert [(u.path, u.role) for u in facts.pdk_uses] == [(("register_scrobbler",), "macro")]


def test_bare_macro_under_a_glob_import_has_an_unsure_origin() -> None:
    facts = read("use nd_pdk::*;\nregister_lyrics!(P);\n")
    assert [(r.name, r.package) for r in facts.registrations] == [("register_lyrics", "")]
    assert read("register_lyrics!(P);\n").registrations == []


def test_use_items_know_the_method_slot_they_fill() -> None:
    source = PLUGIN.replace("ArtistRequest", "GetArtistBiographyRequest")
    uses = {u.path: u for u in read(source).pdk_uses}
    request = uses["metadata", "GetArtistBiographyRequest"]
    assert (request.role, request.in_method, request.slot) == ("use", "get_artist_biography", "input")
    assert at(request.span) == "1:49-1:74"
    assert uses["metadata", "ArtistBiographyResponse"].slot == "output"
    assert uses["metadata", "Error"].slot == ""


def test_qualified_paths_are_pdk_uses_without_associated_items() -> None:
    source = """\
use nd_pdk::metadata;
fn f() -> metadata::ArtistURLResponse {
    let e = nd_pdk::metadata::Error::new("x");
    metadata::ArtistURLResponse::default()
}
"""
    uses = [(u.path, u.role, at(u.span)) for u in read(source).pdk_uses]
    assert uses == [
        (("metadata",), "use", "1:13-1:21"),
        (("metadata", "ArtistURLResponse"), "type", "2:21-2:38"),
        (("metadata", "Error"), "expr", "3:31-3:36"),
        (("metadata", "ArtistURLResponse"), "expr", "4:15-4:32"),
    ]


def test_exports_and_raw_host_imports() -> None:
    source = """\
#[extism_pdk::plugin_fn]
pub fn nd_on_init() -> FnResult<()> { Ok(()) }

#[host_fn("extism:host/other")]
extern "ExtismHost" {
    fn kvstore_set(input: Json<SetRequest>) -> Json<SetResponse>;
}

#[host_fn]
extern "ExtismHost" { fn cache_get(input: Json<Req>) -> Json<Resp>; }
"""
    facts = read(source)
    assert [(e.name, at(e.name_span)) for e in facts.exports] == [("nd_on_init", "2:8-2:18")]
    imports = [(i.namespace, i.name, at(i.namespace_span) if i.namespace_span else "") for i in facts.host_imports]
    assert imports == [("extism:host/other", "kvstore_set", "4:11-4:30"), ("extism:host/user", "cache_get", "")]


@pytest.mark.parametrize(
    ("source", "service", "function"),
    [
        ('fn f() { nd_pdk::host::kvstore::delete_by_prefix(""); }', "kvstore", "delete_by_prefix"),
        ('use nd_pdk::host;\nfn f() { host::kvstore::delete_by_prefix(""); }', "kvstore", "delete_by_prefix"),
        ('use nd_pdk::host::{kvstore};\nfn f() { kvstore::delete_by_prefix(""); }', "kvstore", "delete_by_prefix"),
        ('use nd_pdk::host::kvstore;\nfn f() { kvstore::delete_by_prefix(""); }', "kvstore", "delete_by_prefix"),
        (
            'use nd_pdk::host::kvstore::delete_by_prefix;\nfn f() { delete_by_prefix(""); }',
            "kvstore",
            "delete_by_prefix",
        ),
    ],
)
def test_host_wrapper_calls_in_every_path_style(source: str, service: str, function: str) -> None:
    (call,) = read(source).host_calls
    assert (call.kind, call.service, call.function, call.enclosing_function) == (
        "rust_wrapper",
        service,
        function,
        "f",
    )
    assert call.args[0].value == "" and call.args[0].resolved


def test_argument_values_of_literals_and_constants() -> None:
    source = """\
const PREFIX: &str = "user:";
const TTL: i64 = -1_000;
static NAME: &str = r#"q"#;
fn f() {
    nd_pdk::host::kvstore::set_with_ttl(PREFIX, 0x10i64, TTL);
    nd_pdk::host::task::create_queue(&NAME.to_string(), 2.5e3, true, 'c', unknown, OTHER);
    nd_pdk::host::cache::set_string("tab\\tnew\\u{e9}", "é", 3_600);
}
"""
    calls = read(source).host_calls
    values = [[(a.value, a.resolved) for a in c.args] for c in calls]
    assert values[0] == [("user:", True), (16, True), (-1000, True)]
    assert values[1][:3] == [("q", True), (2500.0, True), (True, True)]
    assert values[1][4:] == [(None, False), (None, False)]
    assert values[2] == [("tab\tnew\u00e9", True), ("é", True), (3600, True)]
    assert at(calls[2].args[1].span) == "7:55-7:58"  # columns count code points, not bytes


def test_struct_literal_arguments_carry_their_entries() -> None:
    source = """\
fn f() {
    let opts = ScrobbleOptions { max_items: 6000, offset: Some(5), ..Default::default() };
    nd_pdk::host::scrobbleretriever::get_scrobbles("u", opts);
}
"""
    (call,) = read(source).host_calls
    entries = {e.key: (e.value.value, e.value.resolved) for e in call.args[1].entries}
    assert entries == {"max_items": (6000, True), "offset": (None, False)}


def test_raw_import_calls_read_the_request_struct() -> None:
    source = """\
#[host_fn]
extern "ExtismHost" { fn kvstore_deletebyprefix(input: Json<Req>) -> Json<Resp>; }
fn clear() {
    let req = Req { prefix: String::new() };
    unsafe { kvstore_deletebyprefix(Json(Req { prefix: "".into() })).unwrap(); }
}
"""
    (call,) = read(source).host_calls
    assert (call.kind, call.function, call.service) == ("raw_import", "kvstore_deletebyprefix", "")
    assert [(e.key, e.value.value) for e in call.args[0].entries] == [("prefix", "")]


def test_host_calls_inside_macros_and_lazy_statics() -> None:
    source = """\
use nd_pdk::host::kvstore;
lazy_static! {
    static ref CACHED: Vec<u8> = kvstore::get("boot").unwrap();
}
static LATER: Lazy<String> = Lazy::new(|| nd_pdk::host::config::get("k"));
fn f() -> String {
    format!("{:?}", kvstore::get("inside")?)
}
"""
    calls = [(c.function, c.args[0].value, c.in_init, c.enclosing_function) for c in read(source).host_calls]
    assert sorted(calls) == [
        ("get", "boot", True, ""),
        ("get", "inside", False, "f"),
        ("get", "k", True, ""),
    ]
    inside = next(c for c in read(source).host_calls if c.args[0].value == "inside")
    assert at(inside.name_span) == "7:30-7:33"


def test_calls_resolved_through_use_and_global_writes() -> None:
    source = """\
use std::thread;
use std::time::Duration;
static mut COUNTER: u32 = 0;
fn tick() {
    thread::sleep(Duration::from_millis(10));
    unsafe { COUNTER += 1; }
    let mut local = 0;
    local = 2;
}
"""
    facts = read(source)
    assert [c.callee for c in facts.calls] == ["std::thread::sleep", "std::time::Duration::from_millis"]
    assert [(g.name, g.enclosing_function) for g in facts.global_writes] == [("COUNTER", "tick")]
    assert "COUNTER" not in facts.constants


def test_constants_of_another_file_resolve_crate_wide() -> None:
    consts = read('pub const KEY_PREFIX: &str = "user:";\n', Path("/plugin/src/consts.rs"))
    user = read("fn f() { nd_pdk::host::kvstore::delete_by_prefix(crate::consts::KEY_PREFIX); }\n")
    plugin = PluginFacts(root=Path("/plugin"), files={consts.path: consts, user.path: user})
    resolve_crate_constants(plugin)
    (argument,) = plugin.files[PATH].host_calls[0].args
    assert (argument.value, argument.resolved) == ("user:", True)
    assert not user.host_calls[0].args[0].resolved  # the cached facts are left as read


def test_syntax_errors_are_flagged_and_the_rest_is_still_read() -> None:
    facts = read(PLUGIN.replace("Ok(ArtistBiographyResponse::default())", "Ok(ArtistBiographyResponse::default("))
    assert facts.has_syntax_errors
    assert [r.name for r in facts.registrations] == ["register_metadata_artist_biography"]
    assert not read(PLUGIN).has_syntax_errors


HALF_WRITTEN = (
    PLUGIN
    + """\
#[host_fn]
extern "ExtismHost" { fn kvstore_set(input: Json<Req>) -> Json<Resp>; }
use nd_pdk::host::{kvstore, scheduler::schedule_one_time};
lazy_static! { static ref A: String = kvstore::get("x"); }
fn more() { unsafe { kvstore_set(Json(Req { key: K, value: &[1u8] })); } schedule_one_time(-5, "", "id"); }
impl nd_pdk::scrobbler::Scrobbler for MyPlugin {
    fn is_authorized(&self, req: nd_pdk::scrobbler::IsAuthorizedRequest) -> Result<bool, Error> { Ok(true) }
}
"""
)


def test_every_prefix_of_a_file_is_read_without_crashing() -> None:
    for end in range(0, len(HALF_WRITTEN), 7):
        read(HALF_WRITTEN[:end])


def test_garbage_and_odd_text_is_read_without_crashing() -> None:
    for source in ["", "\0\0\0", "}}}}{{{{", "impl for {", "nd_pdk::!(", "use ::;", "\ud800 fn", "#[host_fn(]"]:
        read(source)


def test_glob_imported_trait_still_marks_the_method_slots() -> None:
    source = """\
use nd_pdk::lyrics::*;
use nd_pdk::lyrics::{LyricsRequest};
impl Lyrics for L {
    fn get_lyrics(&self, req: LyricsRequest) -> Result<GetLyricsResponse, Error> { todo() }
}
"""
    uses = {u.path: u for u in read(source).pdk_uses}
    assert (uses["lyrics",].role, uses["lyrics",].slot) == ("use", "")
    assert (uses["lyrics", "LyricsRequest"].in_method, uses["lyrics", "LyricsRequest"].slot) == ("get_lyrics", "input")


# -- tree-sitter behaviour the reader relies on ------------------------------------------------------------

NESTED = """\
use nd_pdk::host::{kvstore, config};
static mut COUNT: u32 = 0;
#[derive(Default)]
struct S;
impl nd_pdk::m::Trait for S {
    fn f(&self) -> nd_pdk::m::Out {
        let a = make()(1)(g(h(2)));
        unsafe { COUNT += 1; }
        x::y::z::w(nd_pdk::host::kvstore::get(&format!("{}", a))?);
        inner! { fn nested() { call(); } }
    }
}
fn top() { let b = || q::r(1); b(); }
"""


def test_query_matches_come_in_walk_order() -> None:
    """queried_nodes relies on tree-sitter giving the matches of its one-node patterns in the order a
    walk meets the nodes (pre-order, an enclosing node before the ones inside, even at the same start),
    so nothing sorts them; a byte range gives the nodes meeting it, in the same order."""
    from nd_lsp.frontends.rust_syntax import QUERIED_KINDS, parse_rust, queried_nodes
    from nd_lsp.frontends.source_order import walk

    root = parse_rust(NESTED.encode()).root_node
    walked = [(node.type, node.start_byte, node.end_byte) for node in walk(root) if node.type in QUERIED_KINDS]
    found = [(kind, node.start_byte, node.end_byte) for kind, node in queried_nodes(root)]
    assert found == walked
    assert all(kind == node.type for kind, node in queried_nodes(root))
    # `make()(1)(g(h(2)))` and `x::y::z::w`: nested nodes starting at the same byte, the outer one first
    assert any(a[1] == b[1] and a[2] > b[2] for a, b in pairwise(found))
    low, high = NESTED.index("fn f"), NESTED.index("fn top")
    ranged = [(kind, node.start_byte, node.end_byte) for kind, node in queried_nodes(root, low, high)]
    assert ranged == [w for w in walked if w[1] < high and w[2] > low]


def test_found_by_unit_splits_one_scan_by_unit() -> None:
    """Found nodes per unit, whether the file is scanned once or unit by unit (as after an edit)."""
    from nd_lsp.frontends.rust_syntax import parse_rust, queried_nodes
    from nd_lsp.frontends.rust_units import found_by_unit, units_of

    source = NESTED.encode()
    root = parse_rust(source).root_node
    units = units_of(root, source)
    whole = found_by_unit(root, units, range(len(units)))
    for index in range(len(units)):
        alone = found_by_unit(root, units, [index])[index]
        assert [n.id for _, n in alone] == [n.id for _, n in whole[index]]
    assert [n.id for index in range(len(units)) for _, n in whole[index]] == [n.id for _, n in queried_nodes(root)]
