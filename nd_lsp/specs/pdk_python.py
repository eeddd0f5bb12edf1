"""Read the generated Python host wrappers (plugins/pdk/python/host, up to v0.62.0) with `ast`."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nd_lsp.specs.source_tree import SourceTree

PYTHON_HOST_DIR = "plugins/pdk/python/host"


@dataclass(frozen=True)
class PythonWrapper:
    name: str
    params: tuple[tuple[str, str], ...]  # (name, annotation)


@dataclass(frozen=True)
class PythonHostImport:
    name: str  # wasm import name
    namespace: str
    wrapper: PythonWrapper | None


def _import_fn(decorator: ast.expr) -> tuple[str, str] | None:
    """(namespace, name) of `@extism.import_fn("ns", "name")`."""
    if not isinstance(decorator, ast.Call) or len(decorator.args) != 2:
        return None
    if not ast.unparse(decorator.func).endswith("import_fn"):
        return None
    args = [a.value for a in decorator.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return (args[0], args[1]) if len(args) == 2 else None


def _called_names(func: ast.FunctionDef) -> set[str]:
    return {n.func.id for n in ast.walk(func) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _wrapper(func: ast.FunctionDef) -> PythonWrapper:
    params = tuple((a.arg, ast.unparse(a.annotation) if a.annotation else "") for a in func.args.args)
    return PythonWrapper(func.name, params)


def parse_python_host(text: str) -> tuple[PythonHostImport, ...]:
    tree = ast.parse(text)
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    stubs = {f.name: found for f in funcs for d in f.decorator_list if (found := _import_fn(d)) is not None}
    wrappers = [f for f in funcs if not f.name.startswith("_")]
    imports = []
    for stub, (namespace, name) in stubs.items():
        wrapper = next((w for w in wrappers if stub in _called_names(w)), None)
        imports.append(PythonHostImport(name, namespace, _wrapper(wrapper) if wrapper else None))
    return tuple(imports)


def read_python_pdk(source: SourceTree) -> dict[str, tuple[PythonHostImport, ...]]:
    """File stem (nd_host_kvstore) -> its imports; empty when the release has no Python PDK."""
    found = {}
    for name in source.list_dir(PYTHON_HOST_DIR):
        text = source.read_text(f"{PYTHON_HOST_DIR}/{name}") if name.endswith(".py") else None
        if text is not None:
            found[name.removesuffix(".py")] = parse_python_host(text)
    return {stem: imports for stem, imports in found.items() if imports}
