"""`nd-lsp specs list|show|generate`: the Navidrome versions nd-lsp knows and what each one offers."""

from __future__ import annotations

import argparse
import sys

from nd_lsp.specs import loader
from nd_lsp.specs.loader import (
    UnknownVersionError,
    available_versions,
    load_spec,
    newest_release,
    normalize_version,
    released_versions,
)
from nd_lsp.specs.model import Capability, HostService, Spec

SHORT_COMMIT = 9


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="specs_command", metavar="COMMAND", required=True)
    commands.add_parser("list", help="the Navidrome versions with a spec, newest first")
    show = commands.add_parser("show", help="what one Navidrome version offers plugins")
    show.add_argument("version", metavar="VERSION", help="0.63.2, v0.63.2 or master")
    show.add_argument("--format", choices=("text", "json"), default="text")
    commands.add_parser("generate", help="generate specs from Navidrome's source (see `specs generate --help`)")


def run(args: argparse.Namespace) -> int:
    if args.specs_command == "list":
        sys.stdout.write(list_text())
        return 0
    try:
        if args.format == "json":
            sys.stdout.flush()
            sys.stdout.buffer.write(spec_bytes(args.version))
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(show_text(load_spec(args.version)))
    except UnknownVersionError as exc:
        print(f"nd-lsp: error: {exc}", file=sys.stderr)
        return 2
    return 0


def run_generate(argv: list[str]) -> int:
    from nd_lsp.specs.generate_cli import main_generate

    return main_generate(argv)


def list_text() -> str:
    from nd_lsp.specs.resolve import release_info

    newest = newest_release() if released_versions() else ""
    lines = []
    for version in reversed(available_versions()):
        info = release_info(version)
        note = "  (newest release: the default)" if version == newest else ""
        lines.append(f"{version:<8} {info.date:<10} {info.commit[:SHORT_COMMIT]}{note}")
    return "".join(line.rstrip() + "\n" for line in lines)


def spec_bytes(version: str) -> bytes:
    """The spec file as shipped, byte for byte."""
    name = normalize_version(version)
    if name not in available_versions():
        raise UnknownVersionError(version, available_versions())
    return (loader.spec_dir() / f"{name}.json").read_bytes()  # the file load_spec reads


def show_text(spec: Spec) -> str:
    release = spec.navidrome
    title = f"Navidrome {release.version}"
    where = ", ".join(part for part in (release.tag, f"commit {release.commit[:SHORT_COMMIT]}", release.date) if part)
    lines = [f"{title} ({where})", "", f"Capabilities ({len(spec.capabilities)}):"]
    for capability in spec.capabilities:
        lines += _capability_lines(capability)
    lines += ["", f"Host services ({len(spec.host_services)}):"]
    for service in spec.host_services:
        lines += _service_lines(service)
    lines += ["", "Manifest permissions: " + (", ".join(spec.permission_keys()) or "none")]
    return "\n".join(lines) + "\n"


def _capability_lines(capability: Capability) -> list[str]:
    kind = "required: every export" if capability.required else "optional exports"
    lines = [f"  {capability.name} ({kind})"]
    width = max((len(m.export) for m in capability.methods), default=0)
    lines += [f"    {method.export:<{width}}  {method.name}" for method in capability.methods]
    return lines


def _service_lines(service: HostService) -> list[str]:
    permission = f"permission {service.permission}" if service.permission else "no permission needed"
    lines = [f"  {service.name} ({permission})"]
    width = max((len(f.import_name) for f in service.functions), default=0)
    lines += [f"    {function.import_name:<{width}}  {function.name}" for function in service.functions]
    return lines
