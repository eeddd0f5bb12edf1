"""`nd-lsp specs generate`: write capability_specs/<version>.json from a Navidrome checkout."""

from __future__ import annotations

import argparse
import re
import sys
from importlib import resources
from pathlib import Path

from nd_lsp.specs.curated import CuratedFactError, load_curated
from nd_lsp.specs.generator import generate_spec, write_spec
from nd_lsp.specs.history import write_history_index
from nd_lsp.specs.loader import MASTER, SPEC_PACKAGE, normalize_version
from nd_lsp.specs.manifest_source import ManifestSourceError
from nd_lsp.specs.pdk_attach import SpecMismatchError
from nd_lsp.specs.source_tree import SourceError, open_source

EXIT_OK, EXIT_USAGE, EXIT_FAILED = 0, 2, 1
_RELEASE_TAG = re.compile(r"^v?\d+(\.\d+)*$")
_BRANCH_REFS = frozenset({"HEAD", "master", "main"})


def default_out_dir() -> Path:
    """The repository's capability_specs/ folder, else the installed package's spec folder."""
    in_repository = Path(__file__).resolve().parents[2] / "capability_specs"
    if in_repository.is_dir():
        return in_repository
    return Path(str(resources.files(SPEC_PACKAGE)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nd-lsp specs generate",
        description="Generate the capability spec of one Navidrome release from its source.",
    )
    parser.add_argument("--navidrome", required=True, type=Path, help="Navidrome work tree, or git dir with --ref")
    parser.add_argument("--ref", help="git revision to read (tag, branch or commit); without it, PATH is a work tree")
    parser.add_argument("--name", help='spec version name (default: the tag without "v"; "master" for HEAD)')
    parser.add_argument("--out", type=Path, help="output folder (default: the repository's capability_specs/)")
    parser.add_argument("--curated", type=Path, help="curated facts file (default: the packaged curated.toml)")
    return parser


def version_name(name: str | None, ref: str | None, tag: str) -> str | None:
    """The spec name: --name, else the release tag without "v", else master for a branch head."""
    if name:
        return normalize_version(name)
    for candidate in (ref or "", tag):
        if _RELEASE_TAG.match(candidate):
            return normalize_version(candidate)
    return MASTER if ref in _BRANCH_REFS else None


def main_generate(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    try:
        source = open_source(args.navidrome, args.ref)
        version = version_name(args.name, args.ref, source.revision().tag)
        if version is None:
            print("nd-lsp specs generate: cannot tell the release name; pass --name", file=sys.stderr)
            return EXIT_USAGE
        curated = load_curated(args.curated)
        spec = generate_spec(source, version, curated)
        path = write_spec(spec, args.out or default_out_dir())
        write_history_index(path.parent)
    except (SourceError, OSError) as exc:
        print(f"nd-lsp specs generate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (SpecMismatchError, CuratedFactError, ManifestSourceError, ValueError) as exc:
        print(f"nd-lsp specs generate: {exc}", file=sys.stderr)
        return EXIT_FAILED
    exports = sum(len(c.methods) for c in spec.capabilities)
    imports = sum(len(s.functions) for s in spec.host_services)
    print(
        f"{path}: Navidrome {spec.version} ({spec.navidrome.commit[:9]}, {spec.navidrome.date}): "
        f"{len(spec.capabilities)} capabilities, {exports} exports, "
        f"{len(spec.host_services)} host services, {imports} host functions"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main_generate(sys.argv[1:]))
