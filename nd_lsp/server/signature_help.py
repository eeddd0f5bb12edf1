"""Signature help for calls of host functions through the Rust and Go PDK wrappers."""

from __future__ import annotations

from lsprotocol import types

from nd_lsp.server import api_docs
from nd_lsp.server.cursor import RequestContext, enclosing_call, go_imports, rust_host_modules
from nd_lsp.specs.model import HostFunction, HostService


def signature_help(ctx: RequestContext | None, position: types.Position) -> types.SignatureHelp | None:
    if ctx is None or ctx.language not in ("rust", "go"):
        return None
    cursor = ctx.cursor(position)
    if cursor is None:
        return None
    call = enclosing_call(cursor.before)
    if call is None:
        return None
    callee, argument = call
    found = _rust_function(ctx, callee) if ctx.language == "rust" else _go_function(ctx, callee)
    if found is None:
        return None
    service, function = found
    signature = function.rust_signature if ctx.language == "rust" else function.go_signature
    params = _parameter_labels(signature)
    info = types.SignatureInformation(
        label=signature,
        documentation=ctx.markup(api_docs.describe_host_function(service, function, ctx.language)),
        parameters=[types.ParameterInformation(label=label) for label in params],
    )
    return types.SignatureHelp(
        signatures=[info], active_signature=0, active_parameter=min(argument, max(len(params) - 1, 0))
    )


def _rust_function(ctx: RequestContext, callee: str) -> tuple[HostService, HostFunction] | None:
    segments = callee.split("::")
    if len(segments) < 2:
        return None
    modules = rust_host_modules(ctx.spec)
    service = ctx.spec.host_service(modules.get(segments[-2], ""))
    if service is None:
        return None
    function = next((f for f in service.functions if f.rust_function == segments[-1]), None)
    return (service, function) if function and function.rust_signature else None


def _go_function(ctx: RequestContext, callee: str) -> tuple[HostService, HostFunction] | None:
    package, _, name = callee.rpartition(".")
    if go_imports(ctx.text).get(package) != ctx.spec.layout.go_host_package:
        return None
    for service in ctx.spec.host_services:
        for function in service.functions:
            if function.go_function == name and function.go_signature:
                return service, function
    return None


def _parameter_labels(signature: str) -> list[str]:
    """The parameters of a signature as written, e.g. `prefix: &str` (labels must be substrings)."""
    open_paren = signature.find("(")
    if open_paren < 0:
        return []
    depth, start, labels = 0, open_paren + 1, []
    for index in range(open_paren, len(signature)):
        char = signature[index]
        if char in "(<[":
            depth += 1
        elif char in ")>]":
            depth -= 1
            if depth == 0:
                labels.append(signature[start:index].strip())
                break
        elif char == "," and depth == 1:
            labels.append(signature[start:index].strip())
            start = index + 1
    return [label for label in labels if label]
