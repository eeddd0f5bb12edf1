"""The Go front-end reads what a Go plugin says: imports, providers, registrations, host calls and their
constant arguments, PDK items, exports; and never fails on half-written code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from nd_lsp.check.engine import Analyzer
from nd_lsp.config import Settings
from nd_lsp.frontends.facts import Argument, FileFacts, HostCall, PluginFacts
from nd_lsp.frontends.go import link_go_package, read_go
from nd_lsp.rules.finding import Severity
from nd_lsp.specs.model import PdkLayout

PDK = "github.com/navidrome/navidrome/plugins/pdk/go"
LAYOUT = PdkLayout(
    go_module=PDK,
    go_host_package=f"{PDK}/host",
    go_pdk_package=f"{PDK}/pdk",
    go_types_package=f"{PDK}/types",
)
HEADER = f'''package main

import (
\t"time"

\t"{PDK}/host"
\tmd "{PDK}/metadata"
)
'''


def read(body: str, header: str = HEADER, path: Path = Path("/plugin/main.go")) -> FileFacts:
    return read_go(path, header + textwrap.dedent(body), LAYOUT)


def host_call(facts: FileFacts, function: str, index: int = 0) -> HostCall:
    return [c for c in facts.host_calls if c.function == function][index]


def arg_values(call: HostCall) -> list[object]:
    return [a.value if a.resolved else "?" for a in call.args]


# -- declarations ------------------------------------------------------------------------------------


def test_imports_keep_aliases_blank_and_dot_imports() -> None:
    facts = read(
        "",
        header=f'package main\n\nimport (\n\tmeta "{PDK}/metadata"\n\t_ "embed"\n\t. "fmt"\n\t"gopkg.in/yaml.v3"\n)\n',
    )
    assert [(i.path, i.local_name) for i in facts.imports] == [
        (f"{PDK}/metadata", "meta"),
        ("embed", "_"),
        ("fmt", "."),
        ("gopkg.in/yaml.v3", "yaml"),
    ]
    assert facts.package == "main"


def test_methods_of_a_type_are_one_block_with_signatures_as_written() -> None:
    facts = read(
        """
        type agent struct{}

        func (a *agent) GetArtistURL(req md.ArtistRequest) (*md.ArtistURLResponse, error) { return nil, nil }

        func (a agent) helper(x, y int) string { return "" }
        """
    )
    [block] = facts.impls
    assert block.type_name == "agent" and block.trait == ""
    first, second = block.methods
    assert (first.name, first.params, first.results, first.pointer_receiver) == (
        "GetArtistURL",
        ("md.ArtistRequest",),
        ("*md.ArtistURLResponse", "error"),
        True,
    )
    assert (second.params, second.results, second.pointer_receiver) == (("int", "int"), ("string",), False)
    assert first.signature_span is not None
    assert first.signature_span.start == first.span.start
    assert [t.name for t in facts.types] == ["agent"]


@pytest.mark.parametrize(
    ("argument", "by_value"),
    [("&agent{}", False), ("agent{}", True), ("new(agent)", False), ("p", False), ("v", True), ("global", False)],
)
def test_register_resolves_the_type_it_is_given(argument: str, by_value: bool) -> None:
    facts = read(
        f"""
        type agent struct{{}}

        var global = &agent{{}}

        func init() {{
            p := &agent{{}}
            v := agent{{}}
            md.Register({argument})
        }}
        """
    )
    [registration] = facts.registrations
    assert (registration.name, registration.package, registration.target) == ("Register", f"{PDK}/metadata", "agent")
    assert (registration.enclosing_function, registration.by_value) == ("init", by_value)


def test_register_inside_main_says_so() -> None:
    facts = read("type agent struct{}\n\nfunc main() { md.Register(&agent{}) }\n")
    assert [r.enclosing_function for r in facts.registrations] == ["main"]


def test_interface_assertion_names_the_provider_and_the_type() -> None:
    facts = read("type agent struct{}\n\nvar _ md.ArtistBiographyProvider = (*agent)(nil)\n")
    [assertion] = facts.interface_assertions
    assert (assertion.package, assertion.interface, assertion.type_name, assertion.pointer) == (
        f"{PDK}/metadata",
        "ArtistBiographyProvider",
        "agent",
        True,
    )


def test_wasmexport_and_wasmimport_directives() -> None:
    facts = read(
        """
        //go:wasmexport nd_on_init
        func onInit() int32 { return 0 }

        //go:wasmimport extism:host/user kvstore_set
        func kvSet(offset uint64) uint64
        """
    )
    [export] = facts.exports
    assert (export.name, export.kind) == ("nd_on_init", "wasmexport")
    line = HEADER.count("\n") + 1
    assert (export.name_span.start.line, export.name_span.start.column) == (line, 16)
    [imported] = facts.host_imports
    assert (imported.namespace, imported.name, imported.local_name) == ("extism:host/user", "kvstore_set", "kvSet")


def test_legacy_protobuf_api_is_recognised() -> None:
    facts = read("", header='package main\n\nimport "github.com/navidrome/navidrome/plugins/api"\n')
    assert facts.legacy_api


# -- host calls and values ---------------------------------------------------------------------------


def test_host_call_literals_of_every_kind() -> None:
    facts = read(
        """
        func f() {
            host.Anything("a\\tb", `raw\\n`, -5, 0x1F, 1_000, 2.5, true, int64(0), "x" + "y")
        }
        """
    )
    assert arg_values(host_call(facts, "Anything")) == ["a\tb", "raw\\n", -5, 31, 1000, 2.5, True, 0, "xy"]
    assert [a.literal_kind for a in host_call(facts, "Anything").args][:3] == ["str", "str", "int"]


def test_constants_of_the_package_and_the_function_are_values() -> None:
    facts = read(
        """
        const prefix = ""
        const (
            ttl int64 = -60
            doubled   = ttl * 2
        )

        func f() {
            const key = "token"
            host.KVStoreSetWithTTL(key, nil, doubled)
            host.KVStoreDeleteByPrefix(prefix)
        }
        """
    )
    assert arg_values(host_call(facts, "KVStoreSetWithTTL")) == ["token", "?", -120]
    assert arg_values(host_call(facts, "KVStoreDeleteByPrefix")) == [""]
    assert facts.constants == {"prefix": "", "ttl": -60, "doubled": -120}


def test_variables_and_calls_stay_unresolved() -> None:
    facts = read('func f(p string) { x := "a"; host.KVStoreDeleteByPrefix(x + p) ; host.KVStoreList(f2()) }')
    assert [arg_values(c) for c in facts.host_calls] == [["?"], ["?"]]


def test_struct_literal_entries_carry_field_names_and_values() -> None:
    facts = read('func f() { host.Get("u", &host.Options{MaxItems: 6000, Inner: host.X{Deep: "d"}}) }')
    [_, options] = host_call(facts, "Get").args
    assert [(e.key, e.value.value) for e in options.entries] == [("MaxItems", 6000), ("Inner", None)]
    assert options.entries[1].value.entries[0].value.value == "d"


def test_a_constant_passed_through_a_wrapper_is_a_host_call_at_the_callers_argument() -> None:
    facts = read(
        """
        func forget(prefix string) { host.KVStoreDeleteByPrefix(prefix) }

        func (a *agent) OnInit() error {
            forget("")
            return nil
        }
        """
    )
    inner, through_wrapper = facts.host_calls
    assert arg_values(inner) == ["?"] and inner.enclosing_function == "forget"
    assert arg_values(through_wrapper) == [""]
    assert through_wrapper.enclosing_function == "OnInit"
    assert through_wrapper.args[0].span.start.line == through_wrapper.span.start.line


def test_calls_in_init_and_package_initialisers_are_marked() -> None:
    facts = read(
        """
        var apiKey, _ = host.ConfigGet("apiKey")

        func init() { host.CacheSetInt("k", 1, 0) }

        func other() { host.CacheHas("k") }
        """
    )
    assert [(c.function, c.in_init) for c in facts.host_calls] == [
        ("ConfigGet", True),
        ("CacheSetInt", True),
        ("CacheHas", False),
    ]


def test_qualified_calls_name_the_import_path() -> None:
    facts = read("func f() { time.Sleep(time.Second) }")
    assert [c.callee for c in facts.calls] == ["time.Sleep"]


def test_a_local_variable_hides_the_package_it_shadows() -> None:
    facts = read("func f() { host := helper(); host.KVStoreDeleteByPrefix(\"\") }")
    assert facts.host_calls == []


def test_global_writes_inside_functions_but_not_locals_of_the_same_name() -> None:
    facts = read(
        """
        var counter int
        var cache = map[string]string{}

        func a() { counter++; cache["k"] = "v" }

        func b() { counter := 1; counter = 2; _ = counter }
        """
    )
    assert [(w.name, w.enclosing_function) for w in facts.global_writes] == [("counter", "a"), ("cache", "a")]


# -- PDK items ---------------------------------------------------------------------------------------


def test_pdk_items_know_the_method_slot_they_fill() -> None:
    facts = read(
        """
        func (a *agent) GetArtistBiography(req md.GetArtistBiographyRequest) (*md.ArtistBiography, error) {
            return &md.ArtistBiography{}, nil
        }
        """
    )
    uses = [(u.path, u.role, u.in_method, u.slot) for u in facts.pdk_uses]
    assert uses == [
        (("metadata", "GetArtistBiographyRequest"), "type", "GetArtistBiography", "input"),
        (("metadata", "ArtistBiography"), "type", "GetArtistBiography", "output"),
        (("metadata", "ArtistBiography"), "type", "", ""),
    ]


def test_host_function_calls_are_not_pdk_items_but_host_types_are() -> None:
    facts = read('func f() { host.HTTPSend(host.HTTPRequest{URL: "https://x"}) }')
    assert [u.path for u in facts.pdk_uses] == [("host", "HTTPRequest")]


def test_columns_count_code_points_not_bytes() -> None:
    facts = read('func f() { _ = "ééé"; host.KVStoreDeleteByPrefix("") }')
    call = facts.host_calls[0]
    line = (HEADER + 'func f() { _ = "ééé"; host.KVStoreDeleteByPrefix("") }').splitlines()[call.span.start.line]
    assert line[call.args[0].span.start.column :].startswith('""')


# -- robustness --------------------------------------------------------------------------------------

SAMPLE = HEADER + textwrap.dedent(
    """
    const everything = ""

    type agent struct{}

    var _ md.ArtistURLProvider = (*agent)(nil)

    func init() { md.Register(&agent{}) }

    func (a *agent) GetArtistURL(req md.ArtistRequest) (*md.ArtistURLResponse, error) {
        host.KVStoreDeleteByPrefix(everything)
        time.Sleep(time.Second)
        return &md.ArtistURLResponse{URL: "https://example.org/" + req.ID}, nil
    }
    """
)


def test_half_written_code_still_gives_facts() -> None:
    broken = SAMPLE.replace("return &md.ArtistURLResponse", "return &md.ArtistURLResp{{{ ")
    facts = read_go(Path("/plugin/main.go"), broken, LAYOUT)
    assert facts.has_syntax_errors
    assert [r.target for r in facts.registrations] == ["agent"]
    assert [c.function for c in facts.host_calls] == ["KVStoreDeleteByPrefix"]


def test_every_prefix_of_a_file_reads_without_error() -> None:
    for end in range(0, len(SAMPLE), 7):
        read_go(Path("/plugin/main.go"), SAMPLE[:end], LAYOUT)
    read_go(Path("/plugin/main.go"), "\x00\ufffd}}}{{ func (", LAYOUT)


# -- across files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("signature", ["func f() () {}", "func f() (/* none */) {}", "func f() ( {}"])
def test_an_empty_or_broken_result_list_reads_as_no_result(signature: str) -> None:
    facts = read(signature + "\n")
    assert facts.function_results == {}
    assert facts.error == ""


def test_constants_of_another_file_of_the_package_resolve_after_linking() -> None:
    constants = read_go(Path("/plugin/consts.go"), 'package main\n\nconst everything = ""\n', LAYOUT)
    main = read('func f() { host.KVStoreDeleteByPrefix(everything) }')
    plugin = PluginFacts(root=Path("/plugin"), files={constants.path: constants, main.path: main})
    link_go_package(plugin)
    [call] = plugin.files[main.path].host_calls
    assert call.args[0] == Argument(call.args[0].span, "everything", "", True)
    assert main.host_calls[0].args[0].resolved is False  # the cached facts of the file are untouched


# -- a whole plugin ----------------------------------------------------------------------------------

CLEAN_PLUGIN = f'''// An artist-links agent: biography and URL from a web service, cached in the kvstore.
package main

import (
\t"encoding/json"

\t"{PDK}/host"
\t"{PDK}/metadata"
\t"{PDK}/pdk"
)

const (
\tapiBase     = "https://api.example.org/artists/"
\tcachePrefix = "artist:"
\tcacheTTL    = 6 * 60 * 60
)

type linksAgent struct{{}}

var (
\t_ metadata.ArtistURLProvider       = (*linksAgent)(nil)
\t_ metadata.ArtistBiographyProvider = (*linksAgent)(nil)
)

func init() {{
\tmetadata.Register(&linksAgent{{}})
}}

type artistInfo struct {{
\tURL string `json:"url"`
\tBio string `json:"bio"`
}}

func fetch(id string) (*artistInfo, error) {{
\tif cached, ok, err := host.KVStoreGet(cachePrefix + id); err == nil && ok {{
\t\tvar info artistInfo
\t\tif json.Unmarshal(cached, &info) == nil {{
\t\t\treturn &info, nil
\t\t}}
\t}}
\tresp, err := host.HTTPSend(host.HTTPRequest{{Method: "GET", URL: apiBase + id}})
\tif err != nil || resp == nil || resp.StatusCode != 200 {{
\t\treturn nil, err
\t}}
\tvar info artistInfo
\tif err := json.Unmarshal(resp.Body, &info); err != nil {{
\t\treturn nil, err
\t}}
\tif err := host.KVStoreSetWithTTL(cachePrefix+id, resp.Body, cacheTTL); err != nil {{
\t\tpdk.Log(pdk.LogWarn, "cannot cache "+id+": "+err.Error())
\t}}
\treturn &info, nil
}}

func (a *linksAgent) GetArtistURL(req metadata.ArtistRequest) (*metadata.ArtistURLResponse, error) {{
\tinfo, err := fetch(req.ID)
\tif err != nil || info == nil {{
\t\treturn nil, err
\t}}
\treturn &metadata.ArtistURLResponse{{URL: info.URL}}, nil
}}

func (a *linksAgent) GetArtistBiography(req metadata.ArtistRequest) (*metadata.ArtistBiographyResponse, error) {{
\tinfo, err := fetch(req.ID)
\tif err != nil || info == nil {{
\t\treturn nil, err
\t}}
\treturn &metadata.ArtistBiographyResponse{{Biography: info.Bio}}, nil
}}

func main() {{}}
'''
CLEAN_MANIFEST = """{
  "name": "artist-links",
  "author": "nd-lsp tests",
  "version": "1.0.0",
  "permissions": {
    "http": {"reason": "Looks artists up", "requiredHosts": ["api.example.org"]},
    "kvstore": {"reason": "Caches answers", "maxSize": "1MB"}
  }
}
"""


def test_a_well_written_go_plugin_gets_no_error_or_warning(tmp_path: Path) -> None:
    """Modelled on Navidrome's own examples: providers asserted, registered in init, permissions exact."""
    (tmp_path / "main.go").write_text(CLEAN_PLUGIN, encoding="utf-8")
    (tmp_path / "manifest.json").write_text(CLEAN_MANIFEST, encoding="utf-8")
    (tmp_path / "go.mod").write_text(f"module example.com/links\n\ngo 1.25\n\nrequire {PDK} v0.0.0\n")
    result = Analyzer().check(tmp_path, Settings(navidrome_version="0.63.2"))
    serious = [f for f in result.findings if f.severity.rank >= Severity.WARNING.rank]
    assert [(f.code, f.message) for f in serious] == []
    assert result.problems == []
