"""Generate a benchmark workspace of Navidrome plugins from our examples and rule fixtures.

    python benchmarks/make_corpus.py DEST [--plugins 200] [--lines 100000]

Each generated plugin is a copy of one example or fixture plugin (Rust, Go and Python in turn), with
its own types renamed and filler functions appended until it reaches its share of the line budget.
Some filler calls a host service the manifest may not declare, so the corpus carries a realistic mix
of clean code and mistakes. Generation is deterministic (seeded), so figures are comparable run to run.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
FIXTURES = REPO / "tests" / "fixtures" / "rules"
SUFFIX = {"rust": ".rs", "go": ".go", "python": ".py"}
LANGUAGES = ("rust", "go", "python")


@dataclass(frozen=True)
class Template:
    """A plugin to copy: its folder, its language and the source file that grows."""

    folder: Path
    language: str
    main: Path  # relative to folder


def plugin_language(folder: Path) -> Template | None:
    """The language of a fixture or example plugin folder, and its largest source file."""
    for language in LANGUAGES:
        sources = [
            p for p in folder.rglob(f"*{SUFFIX[language]}") if ".fixed" not in p.parts and "target" not in p.parts
        ]
        if sources:
            main = max(sources, key=lambda p: p.stat().st_size)
            return Template(folder, language, main.relative_to(folder))
    return None


def templates() -> dict[str, list[Template]]:
    """Every example and fixture plugin, by language (examples first)."""
    folders = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())
    folders += sorted(p for p in FIXTURES.glob("*/*") if p.is_dir())
    found: dict[str, list[Template]] = {language: [] for language in LANGUAGES}
    for folder in folders:
        template = plugin_language(folder)
        if template is not None:
            found[template.language].append(template)
    return found


# ---- filler: plain functions in each language, some calling a host service


def _rust_filler(n: int, rng: random.Random) -> str:
    loops = rng.randint(3, 9)
    host_call = f'    let _ = nd_pdk::host::kvstore::get(&format!("{{}}:{{}}", "ns{n}", key));\n' if n % 5 == 0 else ""
    return (
        f"/// Helper {n}: a cached lookup with a little arithmetic.\n"
        f"pub struct Helper{n} {{\n    weight: i64,\n}}\n\n"
        f"impl Helper{n} {{\n"
        f"    pub fn lookup(&self, key: &str) -> Result<Option<Vec<u8>>, String> {{\n"
        f"{host_call}"
        f"        let mut total: i64 = self.weight;\n"
        f"        for i in 0..{loops} {{\n"
        f"            total += i * {n};\n"
        f"        }}\n"
        f"        if total % 2 == 0 {{\n"
        f"            return Ok(None);\n"
        f"        }}\n"
        f'        Ok(Some(format!("{{}}-{{}}", key, total).into_bytes()))\n'
        f"    }}\n"
        f"}}\n\n"
    )


def _go_filler(n: int, rng: random.Random, has_host: bool) -> str:
    loops = rng.randint(3, 9)
    host_call = f'\t_, _ = host.KVStoreGet("ns{n}:" + key)\n' if has_host and n % 5 == 0 else ""
    return (
        f"// helper{n} folds numbers for a cached lookup.\n"
        f"func helper{n}(key string) (string, error) {{\n"
        f"{host_call}"
        f"\ttotal := {n}\n"
        f"\tfor i := 0; i < {loops}; i++ {{\n"
        f"\t\ttotal += i * {n}\n"
        f"\t}}\n"
        f"\tif total%2 == 0 {{\n"
        f'\t\treturn "", nil\n'
        f"\t}}\n"
        f'\treturn key + "-" + key, nil\n'
        f"}}\n\n"
    )


def _python_filler(n: int, rng: random.Random) -> str:
    loops = rng.randint(3, 9)
    return (
        f"\n\ndef helper_{n}(key: str) -> str:\n"
        f'    """Fold numbers for a cached lookup."""\n'
        f"    total = {n}\n"
        f"    for i in range({loops}):\n"
        f"        total += i * {n}\n"
        f"    if total % 2 == 0:\n"
        f'        return ""\n'
        f'    return key + ":" + str(total)\n'
    )


def filler(language: str, n: int, rng: random.Random, text: str) -> str:
    if language == "rust":
        return _rust_filler(n, rng)
    if language == "go":
        return _go_filler(n, rng, "pdk/go/host" in text)
    return _python_filler(n, rng)


def rename_types(language: str, text: str, suffix: str) -> str:
    """Give the plugin's own struct/type names a suffix, as a different author would name them."""
    pattern = {"rust": r"\bstruct\s+(\w+)", "go": r"\btype\s+(\w+)\s+struct", "python": r"\bclass\s+(\w+)"}[language]
    for name in set(re.findall(pattern, text)):
        text = re.sub(rf"\b{re.escape(name)}\b", f"{name}{suffix}", text)
    return text


def grow_plugin(template: Template, dest: Path, target_lines: int, seed: int, rename: str = "") -> Path:
    """Copy a plugin to dest and append filler to its main source until the plugin has target_lines."""
    rng = random.Random(seed)
    shutil.copytree(template.folder, dest, ignore=shutil.ignore_patterns(".fixed", "expected.txt", "target"))
    main = dest / template.main
    text = main.read_text(encoding="utf-8")
    if rename:
        text = rename_types(template.language, text, rename)
    other_lines = sum(_line_count(p) for p in source_files(dest) if p != main)
    parts = [text if text.endswith("\n") else text + "\n", "\n"]
    lines = other_lines + text.count("\n") + 1
    n = seed * 1000
    while lines < target_lines:
        block = filler(template.language, n, rng, text)
        parts.append(block)
        lines += block.count("\n")
        n += 1
    main.write_text("".join(parts), encoding="utf-8")
    return dest


def _line_count(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def make_corpus(dest: Path, plugins: int = 200, min_lines: int = 100_000, seed: int = 7) -> int:
    """Write `plugins` plugins under dest with at least `min_lines` lines in total; returns the line count."""
    rng = random.Random(seed)
    by_language = templates()
    per_plugin = -(-min_lines // plugins)
    dest.mkdir(parents=True, exist_ok=True)
    for index in range(plugins):
        language = LANGUAGES[index % len(LANGUAGES)]
        choices = by_language[language]
        template = choices[(index // len(LANGUAGES)) % len(choices)]
        target = rng.randint(per_plugin // 2, per_plugin * 3 // 2) if index < plugins - 1 else per_plugin
        folder = dest / f"p{index:03d}-{language}-{template.folder.name}"
        grow_plugin(template, folder, target, seed=index + 1, rename=f"V{index}")
    total = count_lines(dest)
    index = 0
    while total < min_lines:  # the random sizes fell short: top up existing plugins evenly
        folder = sorted(p for p in dest.iterdir() if p.is_dir())[index % plugins]
        grown = plugin_language(folder)
        assert grown is not None
        main = folder / grown.main
        extra = "".join(filler(grown.language, 900_000 + index * 50 + k, rng, "") for k in range(20))
        main.write_text(main.read_text(encoding="utf-8") + extra, encoding="utf-8")
        total = count_lines(dest)
        index += 1
    return total


def source_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.suffix in SUFFIX.values() and p.is_file()]


def count_lines(root: Path) -> int:
    """Lines of Rust, Go and Python source under root."""
    return sum(_line_count(p) for p in source_files(root))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--plugins", type=int, default=200)
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    if args.dest.exists() and any(args.dest.iterdir()):
        parser.error(f"{args.dest} is not empty")
    total = make_corpus(args.dest, args.plugins, args.lines)
    print(f"{args.plugins} plugins, {total} lines in {args.dest}")


if __name__ == "__main__":
    main()
