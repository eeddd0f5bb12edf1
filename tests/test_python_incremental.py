"""Re-reading a Python file after edits (tree-sitter re-parses it incrementally from the previous tree) gives
exactly the facts a first read of the final text gives, whatever the edits broke or repaired."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nd_lsp.frontends.python import read_python
from nd_lsp.specs.model import PdkLayout

LAYOUT = PdkLayout(import_namespace="extism:host/user")
EXAMPLE = Path(__file__).parent.parent / "examples" / "album-art-py" / "plugin" / "__init__.py"

BASE = """\
import json
import extism
from time import sleep as pause

CACHE = {}
TTL = 60


@extism.import_fn("extism:host/user", "kvstore_setwithttl")
def _kv_put(offset: int) -> int: ...


def _call(stub, request):
    memory = extism.memory.alloc(json.dumps(request).encode())
    return stub(memory.offset)


def remember(key, value):
    return _call(_kv_put, {"key": key, "value": value, "ttlSeconds": TTL})


@extism.plugin_fn
def nd_on_init():
    global TTL
    TTL = 5
    CACHE["seen"] = True
    remember("k", "v")
    pause(1)


class Helper:
    def method(self):
        if True:
            return [x for x in range(3)]
"""

# What an edit inserts: whole statements, fragments that break the syntax, indentation and line ends.
SNIPPETS = [
    "x",
    "(",
    ")",
    ":",
    '"',
    "#",
    "\n",
    "\n\n",
    "    ",
    "\t",
    "\r\n",
    "\r",
    "\\\n",
    "\f",
    '"""',
    "def typed(key):\n    return remember(key, 1)\n",
    "@extism.plugin_fn\ndef nd_other():\n    CACHE.append(1)\n",
    '_kv_put(extism.memory.alloc(json.dumps({"key": "a"}).encode()).offset)\n',
    "global CACHE\n",
    "if x:\n",
    "class C:\n",
    "import os\n",
    "]",
    "{",
    "lambda: ",
    "é🎵",
]


@st.composite
def edits(draw: st.DrawFn) -> list[tuple[float, int, str]]:
    """A few edits: (where, as a fraction of the text; how many characters to delete; what to insert)."""
    count = draw(st.integers(min_value=1, max_value=6))
    return [
        (
            draw(st.floats(min_value=0, max_value=1)),
            draw(st.integers(min_value=0, max_value=12)),
            draw(st.sampled_from(SNIPPETS)) if draw(st.booleans()) else "",
        )
        for _ in range(count)
    ]


def apply(text: str, where: float, delete: int, insert: str) -> str:
    at = int(where * len(text))
    return text[:at] + insert + text[at + delete :]


def fresh_facts(text: str, edited_path: Path, tmp_name: str) -> str:
    """The facts of a first read of `text` (at a path never read before), as if read at edited_path."""
    fresh_path = edited_path.with_name(tmp_name)
    return repr(read_python(fresh_path, text, LAYOUT)).replace(repr(fresh_path), repr(edited_path))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(["small", "example"]), steps=edits(), serial=st.uuids())
def test_facts_after_edits_equal_facts_of_a_first_read(
    base: str, steps: list[tuple[float, int, str]], serial: object
) -> None:
    text = BASE if base == "small" else EXAMPLE.read_text(encoding="utf-8")
    path = Path(f"/edited-{serial}/plugin/__init__.py")
    read_python(path, text, LAYOUT)
    for where, delete, insert in steps:
        text = apply(text, where, delete, insert)
        edited = repr(read_python(path, text, LAYOUT))
    assert edited == fresh_facts(text, path, f"fresh-{serial}.py")


def test_typing_a_function_one_character_at_a_time_keeps_the_facts_of_a_first_read() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    path = Path("/typed/plugin/__init__.py")
    read_python(path, text, LAYOUT)
    typed = '\ndef typed_helper(key):\n    return _call(_kvstore_setwithttl, {"key": key, "ttlSeconds": 5})\n'
    cursor = text.find("\n\n", len(text) // 2) + 1
    for index, char in enumerate(typed):
        text = text[:cursor] + char + text[cursor:]
        cursor += 1
        edited = repr(read_python(path, text, LAYOUT))
        assert edited == fresh_facts(text, path, f"fresh-{index}.py"), f"after typing {typed[: index + 1]!r}"


def test_reading_the_same_text_again_gives_the_same_facts() -> None:
    path = Path("/again/plugin/__init__.py")
    first = repr(read_python(path, BASE, LAYOUT))
    assert repr(read_python(path, BASE, LAYOUT)) == first
    broken = BASE.replace("def remember(key, value):", "def remember(key, value")
    read_python(path, broken, LAYOUT)
    assert repr(read_python(path, BASE, LAYOUT)) == first


def test_many_files_read_in_turn_each_keep_their_own_facts() -> None:
    """More files than the memory of trees holds, edited round-robin: no file's tree leaks into another's."""
    paths = [Path(f"/many-{n}/plugin/__init__.py") for n in range(12)]
    texts = {path: BASE.replace("TTL = 60", f"TTL = {n}") for n, path in enumerate(paths)}
    for round_ in range(3):
        for path in paths:
            texts[path] = texts[path].replace("pause(1)", f"pause({round_ + 2})")
            edited = repr(read_python(path, texts[path], LAYOUT))
            assert edited == fresh_facts(texts[path], path, f"fresh-{round_}.py")
