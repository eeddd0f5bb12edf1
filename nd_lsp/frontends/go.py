"""The Go front-end: reads one Go source file of a plugin into facts (tree-sitter-go, error tolerant)."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from pathlib import Path

from tree_sitter import Node

from nd_lsp.frontends.byte_source_map import ByteSourceMap
from nd_lsp.frontends.byte_source_map import node_text as text
from nd_lsp.frontends.facts import (
    Argument,
    Call,
    FileFacts,
    GlobalWrite,
    HostCall,
    ImplBlock,
    InterfaceAssertion,
    LiteralValue,
    LocalCall,
    MethodDef,
    PackageImport,
    PdkItemUse,
    PluginFacts,
    Registration,
    Span,
    TypeDecl,
)
from nd_lsp.frontends.go_declarations import (
    VarDecl,
    constants_of,
    declared_vars,
    read_constants,
    read_directives,
    read_impls,
    read_imports,
    read_package_vars,
    read_types,
    result_type,
)
from nd_lsp.frontends.go_syntax import (
    Captures,
    child,
    children,
    named_children,
    parse_go_file,
    unwrap_parens,
    unwrapped,
)
from nd_lsp.frontends.go_units import (
    NO_FACTS,
    FunctionSummary,
    LocalCallSite,
    TargetLookup,
    UnitCaches,
    UnitFacts,
    UnitReads,
)
from nd_lsp.frontends.go_values import ConstantEvaluator, argument_of
from nd_lsp.frontends.source_order import in_source_order
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.specs.model import PdkLayout

# The pre-0.60 protobuf plugin API lived beside the PDK folder: <plugins>/api instead of <plugins>/pdk/go.
_LEGACY_API_FOLDER = "api"
_PDK_SUBFOLDER = "/pdk/go"
# Calls of these never reach a function of the plugin's package.
_GO_BUILTINS = frozenset(
    {
        "append",
        "cap",
        "clear",
        "close",
        "complex",
        "copy",
        "delete",
        "imag",
        "len",
        "make",
        "max",
        "min",
        "new",
        "panic",
        "print",
        "println",
        "real",
        "recover",
    }
)
_WRITES = ("assignment_statement", "inc_statement", "dec_statement")
_VISITED = ("call_expression", *_WRITES)
_TARGET_STATEMENTS = ("short_var_declaration", "var_spec", "assignment_statement")
_PDK_NODES = ("qualified_type", "selector_expression")
# The expressions `_target_type` may name a type for (a parenthesized one may hold any of them).
_TYPED_VALUES = frozenset(
    {"unary_expression", "composite_literal", "call_expression", "identifier", "parenthesized_expression"}
)
_SCOPE_BLOCKS = frozenset({"block", "statement_list"})
_UNITS = UnitCaches()
# A top-level declaration: its node, kind, unit key and first line.
_Declaration = tuple[Node, str, bytes, int]
_NEXT_CHARACTER = re.compile(rb"\s*\S?")
_ASCII_WORD = re.compile(rb"[A-Za-z0-9_]*")


def read_go(path: Path, text_: str, layout: PdkLayout) -> FileFacts:
    """Facts of one Go file; half-written code gives whatever facts its syntax tree still holds."""
    source = ByteSourceMap(path, text_.encode("utf-8", errors="surrogatepass"))
    tree = parse_go_file(path, source.source)
    facts = FileFacts(path=path, language="go", has_syntax_errors=tree.root_node.has_error)
    _GoFileReader(source, layout, facts).read(tree.root_node)
    return facts


@frozen_dataclass
class _Target:
    """The named type an expression constructs, and whether it is a pointer (`&T{}`) or a value (`T{}`).

    A call of a package function (`newPlugin()`) has no name until the function's result type is known:
    `constructor` names the function, which may be declared in another file of the package.
    """

    name: str
    token: Node
    pointer: bool
    constructor: str = ""


class _Scope:
    """Where a statement sits: its function and what that function declares locally.

    The locals are read when a lookup first needs them (most functions look no name up): the names
    declared in `declaration` (its signature and the `names_in` part of it), the variables `targets_in`
    sets from typed values, the constants of its blocks (`constants_in`)."""

    def __init__(
        self,
        reader: _GoFileReader,
        function: str,
        in_init: bool,
        declaration: Node | None = None,
        names_in: Captures | None = None,
        targets_in: Captures | None = None,
        constants_in: Captures | None = None,
    ) -> None:
        self.function = function
        self.in_init = in_init
        self._reader = reader
        self._declaration = declaration
        self._names_in = names_in
        self._targets_in = targets_in
        self._constants_in = constants_in
        self._names: frozenset[str] | None = None if declaration is not None else frozenset()
        self._targets: dict[str, _Target] | None = None if targets_in is not None else {}
        self._evaluator: ConstantEvaluator | None = None

    def declares(self, name: str) -> bool:
        """Whether `name` is a local of the function. Every local is declared inside `declaration`, where
        `name` is also used: a name written there only once is no local (its bytes are its text unless
        it holds a character the decoding replaced). Nor is one every use of which is followed by a `.`
        (`host.Call()`), in a tree without syntax errors: the name a declaration declares is followed by
        `,`, `:=`, `=`, `)`, `...` or a type."""
        if self._names is None:
            declaration = self._declaration
            assert declaration is not None
            source = self._reader.source.source
            if "\ufffd" not in name:
                start, end = declaration.start_byte, declaration.end_byte
                encoded = name.encode()
                if source.count(encoded, start, end) <= 1:
                    return False
                if not self._reader.has_errors and _undotted_use(encoded).search(source, start, end) is None:
                    return False
            self._names = frozenset(_local_names(declaration, self._names_in))
        return name in self._names

    @property
    def local_targets(self) -> dict[str, _Target]:
        """Local variable -> the type of what it holds."""
        if self._targets is None:
            assert self._targets_in is not None
            self._targets = self._reader.local_targets(self._targets_in)
        return self._targets

    @property
    def evaluator(self) -> ConstantEvaluator:
        if self._evaluator is None:
            package = self._reader.facts.constants
            body = self._constants_in
            if body is not None and self._reader.may_hold(b"const", *body.bounds) and body.has("const_declaration"):
                self._evaluator = ConstantEvaluator({**package, **_local_constants(body, package)})
            else:
                self._evaluator = self._reader.evaluator
        return self._evaluator


class _GoFileReader:
    """Reads the file's top-level declarations, then each declaration's body (or takes its facts from
    the last read of the file when its text is unchanged), then joins them."""

    def __init__(self, source: ByteSourceMap, layout: PdkLayout, facts: FileFacts) -> None:
        self.source = source
        self.layout = layout
        self.facts = facts
        self.imports: dict[str, PackageImport] = {}
        self.package_vars: list[VarDecl] = []
        self.global_names: frozenset[str] = frozenset()
        self.package_targets: dict[str, _Target] = {}
        self.functions: dict[str, tuple[str, ...]] = {}  # package function -> its parameter names
        self.local_calls: list[LocalCallSite] = []
        self._unit: UnitFacts | None = None  # the facts of the declaration being read, once it has one
        self._unit_line = 0
        self.evaluator = ConstantEvaluator({})
        self._target_lookups: dict[str, TargetLookup] = {}
        # Text a declaration must hold to write a package variable / use a PDK package (None: none can).
        self._global_name_text: _Names = ()
        self._pdk_package_text: _Names = ()
        self._pdk_packages: frozenset[bytes] = frozenset()  # ASCII local names of the imported PDK packages
        # The local names of the imported PDK packages as whole words (None: one is not an ASCII identifier).
        self._pdk_words: tuple[bytes, ...] | None = None
        self.has_errors = False

    @property
    def unit(self) -> UnitFacts:
        """The facts of the declaration being read, made when the first one is added (most declarations
        have none, and share NO_FACTS)."""
        if self._unit is None:
            self._unit = UnitFacts(self._unit_line)
        return self._unit

    # -- top level -------------------------------------------------------------------------------

    def read(self, root: Node) -> None:
        facts = self.facts
        self.has_errors = root.has_error  # a tree without errors has no declaration near one
        declarations = self._declarations(root)
        of_kind: dict[str, list[Node]] = {}  # the declarations of each kind, sorted out once
        for node, kind, _, _ in declarations:
            of_kind.setdefault(kind, []).append(node)
        package = of_kind["package_clause"][0] if "package_clause" in of_kind else None
        facts.package = text(named_children(package)[0]) if named_children(package) else ""
        facts.imports = read_imports(of_kind.get("import_declaration", []), self.source)
        self.imports = {i.local_name: i for i in facts.imports if i.local_name not in {"_", "."}}
        facts.legacy_api = any(i.path == self._legacy_api_path() for i in facts.imports)
        facts.constants = constants_of(of_kind.get("const_declaration", []), {})
        self.evaluator = ConstantEvaluator(facts.constants)
        pdk_packages = [name for name, i in self.imports.items() if self._in_pdk(i.path)]
        self._pdk_packages = frozenset(name.encode() for name in pdk_packages if name.isascii())
        self._pdk_package_text = _any_of(pdk_packages)
        self._pdk_words = _whole_words(pdk_packages)
        facts.types = read_types(of_kind.get("type_declaration", []), self.source)
        facts.impls = read_impls(of_kind.get("method_declaration", []), self.source, facts.types)
        facts.exports, facts.host_imports = read_directives(of_kind.get("function_declaration", []), self.source)
        reads = _UNITS.start(self.source.path)
        names = self._read_function_summaries(declarations, reads)
        self.package_vars = read_package_vars(of_kind.get("var_declaration", []))
        self.global_names = frozenset(v.name for v in self.package_vars if v.name != "_")
        self._global_name_text = _any_of(self.global_names)
        self.package_targets = {
            v.name: target for v in self.package_vars if (target := self._target_type(v.value)) is not None
        }
        self._target_lookups = {name: self._target_lookup(name) for name in self.package_targets}
        reads.use_context(self._context())
        units = [
            (kind, self._read_unit(node, kind, key, line, names.get(index), reads))
            for index, (node, kind, key, line) in enumerate(declarations)
        ]
        _UNITS.finish(self.source.path, reads)
        self._join(units)
        self._resolve_wrappers()
        self._keep_calls_for_other_files()

    def _legacy_api_path(self) -> str:
        module = self.layout.go_module
        if not module.endswith(_PDK_SUBFOLDER):
            return ""
        return f"{module[: -len(_PDK_SUBFOLDER)]}/{_LEGACY_API_FOLDER}"

    def _in_pdk(self, path: str) -> bool:
        module = self.layout.go_module
        return bool(module) and path.startswith(module + "/")

    def _declarations(self, root: Node) -> list[_Declaration]:
        """The top-level declarations (comments are none) with their kind, unit key and first line."""
        found = []
        near_errors = self.has_errors
        for node in root.named_children:
            kind = node.type
            if kind != "comment":
                start = node.start_point
                found.append((node, kind, self._unit_key(node, kind, start.column, near_errors), start.row))
        return found

    def _unit_key(self, node: Node, kind: str, column: int, near_errors: bool) -> bytes:
        """A declaration's kind and text, from the start of its line to the first character after it
        (the parser looks ahead: `x.F(&T{})` reads as a conversion at the end of a file, as a call
        before a newline); b"" (never reused) when it or a neighbour holds a syntax error, because
        tree-sitter's error recovery may read the same text differently with other text around it."""
        if near_errors and _near_syntax_error(node):
            return b""
        source = self.source.source
        line_start = node.start_byte - column
        lookahead = _NEXT_CHARACTER.match(source, node.end_byte)
        end = lookahead.end() if lookahead is not None else node.end_byte
        return b"%s\0%s" % (kind.encode(), source[line_start:end])

    def _read_function_summaries(self, declarations: list[_Declaration], reads: UnitReads) -> dict[int, str]:
        """Each package function's parameters and result type; returns the index -> name of each function
        declaration, which its body's facts are read under."""
        summaries = []
        names = {}
        for index, (node, kind, key, _) in enumerate(declarations):
            if kind == "function_declaration":
                summary = reads.summary(key)
                if summary is None:
                    summary = reads.keep_summary(key, _summarize(node))
                summaries.append(summary)
                names[index] = summary.name
        self.facts.function_results = dict(s.result for s in summaries if s.result is not None)
        self.functions = {s.name: s.params for s in summaries if s.name}
        self.facts.function_params = dict(self.functions)
        return names

    def _context(self) -> tuple[object, ...]:
        """What every declaration's facts may depend on; when it changes, no cached declaration is used."""
        constants = tuple((name, type(value).__name__, value) for name, value in self.facts.constants.items())
        return (
            self.layout,
            tuple((name, i.path) for name, i in self.imports.items()),
            constants,
            self.global_names,
            frozenset(self.functions) & _GO_BUILTINS,
        )

    def _read_unit(
        self, node: Node, kind: str, key: bytes, start_line: int, name: str | None, reads: UnitReads
    ) -> UnitFacts:
        """The facts of one declaration (`name`: a function declaration's, read with its summary)."""
        reused = reads.reuse(key, start_line, self.facts.function_results, self._target_lookups)
        if reused is not None:
            return reused
        self._unit, self._unit_line = None, start_line
        captures = None  # made when a reader needs nodes the text cannot point at
        if kind == "function_declaration" or kind == "method_declaration":
            captures = self._read_function(node, kind, name)
        elif kind == "var_declaration":
            captures = Captures.under(node)
            self._read_package_vars(node, captures)
        elif kind == "ERROR":
            captures = Captures.under(node)
            self._read_broken_body(node, _owner_name(node), captures)
        self._read_pdk_uses(node, captures)
        unit = self._unit if self._unit is not None else NO_FACTS
        reads.keep(key, unit)
        return unit

    def _join(self, units: list[tuple[str, UnitFacts]]) -> None:
        """Package variables are read first (they are initialised before any function runs), then the
        functions in source order; PDK uses in source order."""
        facts = self.facts
        in_order = [u for kind, u in units if kind == "var_declaration"]
        in_order += [u for kind, u in units if kind != "var_declaration"]
        for unit in in_order:
            if unit is NO_FACTS:
                continue
            facts.interface_assertions.extend(unit.interface_assertions)
            facts.calls.extend(unit.calls)
            facts.host_calls.extend(unit.host_calls)
            facts.registrations.extend(unit.registrations)
            facts.global_writes.extend(unit.global_writes)
            self.local_calls.extend(unit.local_calls)
        for _, unit in units:
            facts.pdk_uses.extend(unit.pdk_uses)

    def _target_lookup(self, name: str) -> TargetLookup:
        target = self.package_targets.get(name)
        if target is None:
            return None
        return target.name, target.pointer, target.constructor, self.source.node_span(target.token)

    # -- package variables -------------------------------------------------------------------------

    def _read_package_vars(self, declaration: Node, captures: Captures) -> None:
        scope = _Scope(self, function="", in_init=True)
        for var in declared_vars(declaration):
            if var.name == "_" and var.type_node is not None:
                self._read_assertion(var)
            if var.value is not None:
                self._walk_package_value(var.name, captures.within(var.value), scope)

    def _walk_package_value(self, name: str, value: Captures, scope: _Scope) -> None:
        """A package variable's value runs at instantiation, but a function literal it holds runs only
        when called: its body is read as a function of its own, named after the variable."""
        literals = value.of("func_literal")
        outermost = [n for n in literals if not any(o != n and _encloses(o, n) for o in literals)]
        for current in value.of(*_VISITED):
            if not any(_encloses(literal, current) for literal in outermost):
                self._visit(current, scope)
        for literal in outermost:
            in_literal = value.within(literal)
            body = child(literal, "body")
            names_in = in_literal.within(body) if body is not None else None
            self._walk(in_literal, _Scope(self, name, False, literal, names_in, targets_in=in_literal))

    def _read_assertion(self, var: VarDecl) -> None:
        """`var _ metadata.ArtistBiographyProvider = (*plugin)(nil)` states that plugin implements it."""
        interface = var.type_node
        if interface is None or interface.type != "qualified_type":
            return
        package = self.imports.get(text(child(interface, "package")))
        target = self._target_type(var.value)
        name = child(interface, "name")
        if package is None or target is None or not target.name or name is None:
            return
        type_name, type_token = target.name, target.token
        self.unit.interface_assertions.append(
            InterfaceAssertion(
                language="go",
                package=package.path,
                interface=text(name),
                type_name=type_name,
                span=self.source.node_span(var.spec),
                interface_span=self.source.node_span(name),
                type_span=self.source.node_span(type_token),
                pointer=target.pointer,
            )
        )

    # -- function bodies ---------------------------------------------------------------------------

    def _read_function(self, declaration: Node, kind: str, name: str | None) -> Captures | None:
        """Reads a function's body (and returns the Captures made for it) unless its text holds nothing
        `_walk` looks for: no call, no package variable."""
        body = declaration.child_by_field_name("body")
        if body is None:
            return None
        start, end = body.start_byte, body.end_byte
        calls = self.may_hold(b"(", start, end)
        if not calls and not _mentions(self._global_name_text, self.source.source, start, end):
            return None
        captures = Captures.under(declaration)
        in_body = captures.within(body)
        if name is None:
            name = text(declaration.child_by_field_name("name"))
        in_init = kind == "function_declaration" and name == "init"
        self._walk(in_body, _Scope(self, name, in_init, declaration, in_body, in_body, in_body))
        return captures

    def _read_broken_body(self, error: Node, owner: str, captures: Captures) -> None:
        """A body the parser could not attach (unbalanced braces while typing) still holds calls; they
        belong to the function declared right before it (`owner`, when that one has no body)."""
        self._walk(captures, _Scope(self, owner, owner == "init", error, captures, targets_in=captures))

    def _walk(self, captures: Captures, scope: _Scope) -> None:
        """Calls, then writes (they make facts of other kinds, each kind in source order)."""
        if self.may_hold(b"(", *captures.bounds):
            source = self.source.source
            for call in captures.of("call_expression") if self.has_errors else captures.calls(source):
                self._read_call(call, scope)
        if _mentions(self._global_name_text, self.source.source, *captures.bounds):
            for statement in captures.of(*_WRITES):
                self._read_write(statement, scope)

    def may_hold(self, token: bytes, start: int, end: int) -> bool:
        """Whether the range may hold a node with this token (`(` of a call, `const` of a declaration):
        its text holds the token, unless the parser made the node up (as it may in a tree with syntax
        errors)."""
        return self.has_errors or self.source.source.find(token, start, end) >= 0

    def _visit(self, current: Node, scope: _Scope) -> None:
        if current.type == "call_expression":
            self._read_call(current, scope)
        else:
            self._read_write(current, scope)

    def _read_call(self, call: Node, scope: _Scope) -> None:
        written = call.child_by_field_name("function")
        function, kind = unwrapped(written)
        if kind == "identifier":
            callee = text(function)
            if written is not None and not scope.declares(callee):
                self._read_local_call(call, written, callee, scope)
            return
        if function is None or kind != "selector_expression":
            return
        operand = function.child_by_field_name("operand")
        field_node = function.child_by_field_name("field")
        if operand is None or operand.type != "identifier" or field_node is None:
            return
        package_name = text(operand)
        package = self.imports.get(package_name)
        if package is None or scope.declares(package_name):
            return
        name = text(field_node)
        span, name_span = self.source.node_span(call), self.source.node_span(field_node)
        self.unit.calls.append(Call("go", f"{package.path}.{name}", span, name_span, scope.function, scope.in_init))
        if package.path == self.layout.go_host_package:
            self._read_host_call(call, name, span, name_span, scope)
        elif self._is_capability_package(package.path):
            self._read_registration(call, name, span, name_span, package, scope)

    def _read_local_call(self, call: Node, function: Node, callee: str, scope: _Scope) -> None:
        """Kept with its arguments, which a wrapper in this or another file may pass to the host; a
        builtin never is such a wrapper unless the file declares a function of its name."""
        arguments = named_children(call.child_by_field_name("arguments"))
        has_arguments = bool(arguments)
        keeps_arguments = has_arguments and (callee not in _GO_BUILTINS or callee in self.functions)
        self.unit.local_calls.append(
            LocalCallSite(
                callee=callee,
                span=self.source.node_span(call),
                name_span=self.source.node_span(function),
                args=self._arguments(arguments, scope) if keeps_arguments else (),
                has_arguments=has_arguments,
                enclosing_function=scope.function,
                in_init=scope.in_init,
            )
        )

    def _arguments(self, arguments: list[Node], scope: _Scope) -> tuple[Argument, ...]:
        evaluator = scope.evaluator
        source = self.source
        return tuple([argument_of(a, evaluator, source) for a in arguments])

    def _read_host_call(self, call: Node, name: str, span: Span, name_span: Span, scope: _Scope) -> None:
        self.unit.host_calls.append(
            HostCall(
                language="go",
                kind="go_wrapper",
                service="",
                function=name,
                span=span,
                name_span=name_span,
                args=self._arguments(named_children(call.child_by_field_name("arguments")), scope),
                enclosing_function=scope.function,
                in_init=scope.in_init,
            )
        )

    def _is_capability_package(self, path: str) -> bool:
        """A PDK package that is neither the host, the pdk helpers nor the shared types."""
        module = self.layout.go_module
        if not module or not path.startswith(module + "/"):
            return False
        helpers = {self.layout.go_host_package, self.layout.go_pdk_package, self.layout.go_types_package}
        return path not in helpers

    def _read_registration(
        self, call: Node, name: str, span: Span, name_span: Span, package: PackageImport, scope: _Scope
    ) -> None:
        arguments = named_children(child(call, "arguments"))
        if len(arguments) != 1:
            return  # capability packages take one implementation; other calls are not registrations
        argument = arguments[0]
        target = self._target_type(argument, scope)
        if target is not None and target.constructor:
            result = self.facts.function_results.get(target.constructor, "")
            self.unit.constructors[target.constructor] = result
            target = _Target(
                result.lstrip("*"), target.token, result.startswith("*"), "" if result else target.constructor
            )
        self.unit.registrations.append(
            Registration(
                language="go",
                name=name,
                span=span,
                name_span=name_span,
                package=package.path,
                target=target.name if target else "",
                # A variable names the type elsewhere: point at the argument itself.
                target_span=self.source.node_span(target.token if target and _spells_type(argument) else argument),
                enclosing_function=scope.function,
                by_value=target is not None and bool(target.name) and not target.pointer,
                target_constructor=target.constructor if target else "",
            )
        )

    def _target_type(self, node: Node | None, scope: _Scope | None = None) -> _Target | None:
        """The named type of `&T{}`, `T{}`, `new(T)`, `(*T)(nil)`, or of a variable set from one."""
        node = unwrap_parens(node)
        if node is None:
            return None
        if node.type == "unary_expression" and text(child(node, "operator")) == "&":
            inner = self._target_type(child(node, "operand"), scope)
            return _Target(inner.name, inner.token, True) if inner is not None else None
        if node.type == "composite_literal":
            return _named_type(child(node, "type"), pointer=False)
        if node.type == "call_expression":
            return _constructed_type(node) or self._constructor_call(node, scope)
        if node.type == "identifier":
            name = text(node)
            if scope is not None and name in scope.local_targets:
                return scope.local_targets[name]
            if scope is None or not scope.declares(name):
                return self._package_target(name)
        return None

    def _package_target(self, name: str) -> _Target | None:
        """A package variable's type, noted as something the declaration being read depends on (other
        names cannot become package variables while the file context, which holds their names, holds)."""
        if name in self.global_names or name == "_":
            self.unit.targets[name] = self._target_lookups.get(name)
        return self.package_targets.get(name)

    def _constructor_call(self, call: Node, scope: _Scope | None) -> _Target | None:
        """`newPlugin()`: a call of a package function, whose result type is read from its declaration."""
        function = unwrap_parens(child(call, "function"))
        if function is None or function.type != "identifier" or (scope is not None and scope.declares(text(function))):
            return None
        return _Target("", call, False, text(function))

    def local_targets(self, captures: Captures) -> dict[str, _Target]:
        """Variables set from a typed value in the range -> the type (a later statement wins)."""
        targets: dict[str, _Target] = {}
        for node in captures.of(*_TARGET_STATEMENTS):
            right = named_children(child(node, "right") or child(node, "value"))
            if not any(value.type in _TYPED_VALUES for value in right):
                continue  # `total += i`: most statements set nothing _target_type can name
            left = children(node, "name") or named_children(child(node, "left"))
            for name, value in zip(left, right, strict=False):
                target = self._target_type(value)
                if target is not None and name.type == "identifier":
                    targets[text(name)] = target
        return targets

    def _read_write(self, statement: Node, scope: _Scope) -> None:
        if statement.type == "assignment_statement":
            targets = named_children(child(statement, "left"))
        else:
            targets = named_children(statement)[:1]
        for target in targets:
            root = _root_identifier(target)
            if root is None or text(root) not in self.global_names or scope.declares(text(root)):
                continue
            self.unit.global_writes.append(GlobalWrite("go", text(root), self.source.node_span(root), scope.function))

    # -- PDK items -------------------------------------------------------------------------------

    def _read_pdk_uses(self, declaration: Node, captures: Captures | None) -> None:
        words = self._pdk_words
        source = self.source.source
        if words is not None and not self.has_errors:
            nodes = _qualified_by(words, declaration, source)
        elif _mentions(self._pdk_package_text, source, declaration.start_byte, declaration.end_byte):
            nodes = (captures or Captures.under(declaration)).of_starting(self._may_name_pdk_package, *_PDK_NODES)
        else:
            return
        slots = _signature_slots(declaration) if nodes else []
        for node in nodes:
            if node.type == "qualified_type":
                self._read_pdk_use(node, child(node, "package"), child(node, "name"), "type", slots)
            else:
                self._read_pdk_use(node, child(node, "operand"), child(node, "field"), "expr", slots)

    def _may_name_pdk_package(self, start: int) -> bool:
        """Whether `pkg.Name` starting at this byte may start with a PDK package's name: the text there,
        up to the first character that is not an ASCII letter, digit or `_`, is one (or is cut at a
        non-ASCII one, which an identifier may hold)."""
        source = self.source.source
        word = _ASCII_WORD.match(source, start)
        end = word.end() if word is not None else start
        return source[start:end] in self._pdk_packages or (end < len(source) and source[end] >= 0x80)

    def _read_pdk_use(
        self, node: Node, package_node: Node | None, name: Node | None, role: str, slots: list[_Slot]
    ) -> None:
        if package_node is None or name is None or package_node.type not in {"identifier", "package_identifier"}:
            return
        package = self.imports.get(text(package_node))
        module = self.layout.go_module
        if package is None or not module or not package.path.startswith(module + "/"):
            return
        if role == "expr" and package.path == self.layout.go_host_package and _is_called(node):
            return  # a host function call: a HostCall, checked by the host-call rules
        in_method, slot = _slot_of(node, slots)
        self.unit.pdk_uses.append(
            PdkItemUse(
                language="go",
                path=(package.path.rsplit("/", 1)[-1], text(name)),
                span=self.source.node_span(name),
                role="type" if role == "type" else "expr",
                in_method=in_method,
                slot=slot,  # type: ignore[arg-type]
            )
        )

    # -- wrappers --------------------------------------------------------------------------------

    def _resolve_wrappers(self) -> None:
        """A plugin function that passes its own parameter straight to a host function: each call of it
        with a constant argument is a host call with that constant (one level deep)."""
        wrapped = [c for c in self.facts.host_calls if c.enclosing_function in self.functions]
        for host_call in wrapped:
            parameters = self.functions[host_call.enclosing_function]
            passed = {i: parameters.index(a.text) for i, a in enumerate(host_call.args) if a.text in parameters}
            if not passed:
                continue
            for local in self.local_calls:
                if local.callee == host_call.enclosing_function:
                    self._add_wrapped_call(host_call, passed, local)

    def _keep_calls_for_other_files(self) -> None:
        """Calls with arguments of functions this file does not declare: another file of the package may
        declare them as wrappers of host functions (resolved by link_go_package)."""
        for local in self.local_calls:
            if local.callee in self.functions or local.callee in _GO_BUILTINS or not local.has_arguments:
                continue
            self.facts.local_calls.append(
                LocalCall(
                    language="go",
                    callee=local.callee,
                    span=local.span,
                    name_span=local.name_span,
                    args=local.args,
                    enclosing_function=local.enclosing_function,
                    in_init=local.in_init,
                )
            )

    def _add_wrapped_call(self, host_call: HostCall, passed: dict[int, int], local: LocalCallSite) -> None:
        caller_args = local.args
        args: list[Argument] = []
        for index, argument in enumerate(host_call.args):
            parameter = passed.get(index)
            if parameter is not None and parameter < len(caller_args):
                args.append(caller_args[parameter])
            else:
                # Values written inside the wrapper are reported at the wrapper's own call.
                args.append(dataclasses.replace(argument, value=None, resolved=False, entries=(), prefix=""))
        self.facts.host_calls.append(
            dataclasses.replace(
                host_call,
                span=local.span,
                name_span=local.name_span,
                args=tuple(args),
                enclosing_function=local.enclosing_function,
                in_init=local.in_init,
            )
        )


# The bytes of some names (None: a name has none, so it may be anywhere).
_Names = tuple[bytes, ...] | None


def _any_of(names: Iterable[str]) -> _Names:
    """The bytes to look for to find any of the names in a source. A name read from bytes the decoding
    replaced, or holding a lone surrogate, has no bytes to look for: it may be anywhere (None)."""
    found = set()
    for name in names:
        try:
            encoded = name.encode()
        except UnicodeEncodeError:
            return None
        if "\ufffd" in name:
            return None
        found.add(encoded)
    return tuple(sorted(found))


def _whole_words(names: list[str]) -> tuple[bytes, ...] | None:
    """The names as bytes, to be found where they are whole identifiers (None when one is no ASCII
    identifier: its bytes could not tell where an identifier starts)."""
    if not all(_ASCII_IDENTIFIER.fullmatch(name) for name in names):
        return None
    return tuple(sorted({name.encode() for name in names}))


@functools.lru_cache(maxsize=256)
def _undotted_use(name: bytes) -> re.Pattern[bytes]:
    """Finds the name as a whole word not followed by a `.` (`...` is not one)."""
    return re.compile(rb"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])(?!\s*\.(?!\.))" % re.escape(name))


_ASCII_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _whole_word_spans(words: tuple[bytes, ...], source: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """Where the words occur in source[start:end] with no ASCII letter, digit or `_` on either side, in
    source order (bytes.find: far faster than a pattern that looks around)."""
    spans = []
    limit = len(source)
    for word in words:
        at = source.find(word, start, end)
        while at >= 0:
            after = at + len(word)
            if (at == 0 or not _IS_WORD[source[at - 1]]) and (after == limit or not _IS_WORD[source[after]]):
                spans.append((at, after))
            at = source.find(word, at + 1, end)
    if len(words) > 1:
        spans.sort()
    return spans


_IS_WORD = bytes(1 if chr(b).isascii() and (chr(b).isalnum() or chr(b) == "_") else 0 for b in range(256))


def _qualified_by(words: tuple[bytes, ...], declaration: Node, source: bytes) -> list[Node]:
    """The `pkg.Name` types and selectors in a declaration (of a tree without syntax errors) whose first
    part is an identifier spelled as one of the words, in source order: each is found from that
    identifier, at one of the few places the words occur, rather than among all the selectors the
    query finds."""
    found = []
    for start, end in _whole_word_spans(words, source, declaration.start_byte, declaration.end_byte):
        word = declaration.descendant_for_byte_range(start, end)
        if word is None or word.start_byte != start or word.end_byte != end:
            continue  # a longer identifier, or inside a string or comment
        parent = word.parent
        if parent is None or parent.start_byte != start:
            continue
        kind = parent.type
        if (kind == "selector_expression" and parent.child_by_field_name("operand") == word) or (
            kind == "qualified_type" and parent.child_by_field_name("package") == word
        ):
            found.append(parent)
    return found


def _mentions(names: _Names, source: bytes, start: int, end: int) -> bool:
    """Whether the range's text holds one of the names: an identifier naming one lies in the range of
    every node holding it."""
    if names is None:
        return True
    return any(source.find(name, start, end) >= 0 for name in names)


# A method's parameter list or result: (start byte, end byte, method name, "input" | "output").
_Slot = tuple[int, int, str, str]


def _signature_slots(declaration: Node) -> list[_Slot]:
    if declaration.type != "method_declaration":
        return []
    name = text(child(declaration, "name"))
    slots = []
    for field_name, slot in (("parameters", "input"), ("result", "output")):
        node = child(declaration, field_name)
        if node is not None:
            slots.append((node.start_byte, node.end_byte, name, slot))
    return slots


def _slot_of(node: Node, slots: list[_Slot]) -> tuple[str, str]:
    for start, end, method, slot in slots:
        if start <= node.start_byte and node.end_byte <= end:
            return method, slot
    return "", ""


def _summarize(declaration: Node) -> FunctionSummary:
    name = declaration.child_by_field_name("name")
    if name is None:
        return FunctionSummary("", tuple(_parameter_names(declaration)), None)
    function = text(name)
    result = result_type(declaration)
    return FunctionSummary(
        function, tuple(_parameter_names(declaration)), (function, result) if result is not None else None
    )


def _near_syntax_error(node: Node) -> bool:
    neighbours = (node.prev_sibling, node.prev_named_sibling, node.next_sibling, node.next_named_sibling)
    return node.has_error or any(n is not None and (n.has_error or n.is_missing) for n in neighbours)


def _owner_name(error: Node) -> str:
    """The function a broken body belongs to: the declaration right before it, when that has no body."""
    previous = error.prev_named_sibling
    while previous is not None and previous.type == "comment":
        previous = previous.prev_named_sibling
    owner = previous if previous is not None and previous.type.endswith("declaration") else None
    return text(child(owner, "name")) if owner is not None and child(owner, "body") is None else ""


def _encloses(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def _is_called(selector: Node) -> bool:
    parent = selector.parent
    return parent is not None and parent.type == "call_expression" and child(parent, "function") == selector


def _spells_type(argument: Node) -> bool:
    """`&T{}`, `T{}`, `new(T)` write the type; a variable does not."""
    inner = unwrap_parens(argument)
    return inner is not None and inner.type != "identifier"


def _named_type(node: Node | None, *, pointer: bool) -> _Target | None:
    if node is not None and node.type in {"type_identifier", "identifier"}:
        return _Target(text(node), node, pointer)
    return None


def _constructed_type(call: Node) -> _Target | None:
    """`new(T)` and the conversion `(*T)(nil)`."""
    function = unwrap_parens(child(call, "function"))
    arguments = named_children(child(call, "arguments"))
    if function is None:
        return None
    if function.type == "identifier" and text(function) == "new" and len(arguments) == 1:
        return _named_type(arguments[0], pointer=True)
    if function.type in {"unary_expression", "pointer_type"}:
        operand = child(function, "operand") or (named_children(function)[0] if named_children(function) else None)
        return _named_type(operand, pointer=True)
    return None


def _root_identifier(node: Node) -> Node | None:
    """`x`, `x.field`, `x[i]`, `*x`: the variable being written."""
    current: Node | None = node
    while current is not None and current.type != "identifier":
        if current.type in {"selector_expression", "index_expression"}:
            current = child(current, "operand")
        elif current.type in {"unary_expression", "parenthesized_expression"}:
            inner = named_children(current)
            current = inner[-1] if inner else None
        else:
            return None
    return current


def _parameter_names(declaration: Node) -> list[str]:
    """The names of a function's parameters (a comment among them has no name field)."""
    parameters = declaration.child_by_field_name("parameters")
    if parameters is None:
        return []
    return [text(n) for parameter in parameters.named_children for n in parameter.children_by_field_name("name")]


def _local_names(declaration: Node, body: Captures | None) -> set[str]:
    """Every name the function declares (parameters, receivers, :=, var, range, func literal params).

    Scopes are flattened: a local anywhere in the function hides a package name everywhere in it,
    which errs on the side of reporting nothing.
    """
    names: set[str] = set()
    for field_name in ("receiver", "parameters", "result"):
        for parameter in named_children(child(declaration, field_name)):
            names.update(text(n) for n in children(parameter, "name"))
    if body is None:
        return names
    for node in body.any_order("short_var_declaration", "range_clause"):  # a set: the order does not matter
        names.update(text(n) for n in named_children(child(node, "left")) if n.type == "identifier")
    for node in body.any_order("var_spec", "const_spec", "parameter_declaration"):
        names.update(text(n) for n in children(node, "name"))
    return names


def _local_constants(body: Captures, package: dict[str, LiteralValue]) -> dict[str, LiteralValue]:
    """Constants of the blocks of a body, outer blocks first (as a walk of the body meets them)."""
    scopes: dict[tuple[int, int], Node] = {}
    for declaration in body.of("const_declaration"):
        scope = declaration.parent
        if scope is not None and scope.type in _SCOPE_BLOCKS and body.holds(scope):
            scopes.setdefault((scope.start_byte, scope.end_byte), scope)
    found: dict[str, LiteralValue] = {}
    for scope in in_source_order(list(scopes.values())):
        found.update(read_constants(scope, {**package, **found}))
    return found


def link_go_package(plugin: PluginFacts) -> None:
    """Resolve what one file of a Go package names and another declares: constants in host-call
    arguments, the result type of a constructor passed to `Register`, methods promoted from embedded
    structs.

    FileFacts are cached per file content, so resolved facts are stored as new objects: the cache keeps
    the facts of the file alone.
    """
    _add_wrapped_calls_across_files(plugin)
    by_package: dict[str, dict[str, LiteralValue]] = {}
    results: dict[str, dict[str, str]] = {}
    for facts in plugin.files.values():
        if facts.language == "go":
            by_package.setdefault(facts.package, {}).update(facts.constants)
            results.setdefault(facts.package, {}).update(facts.function_results)
    for path, facts in list(plugin.files.items()):
        if facts.language != "go":
            continue
        constants = by_package.get(facts.package, {})
        resolved = [_resolve_call(call, constants) for call in facts.host_calls]
        registrations = [_resolve_constructor(r, results.get(facts.package, {})) for r in facts.registrations]
        if resolved != facts.host_calls or registrations != facts.registrations:
            plugin.files[path] = dataclasses.replace(facts, host_calls=resolved, registrations=registrations)
    _add_promoted_methods(plugin)


def _add_wrapped_calls_across_files(plugin: PluginFacts) -> None:
    """`scheduleWeekly("30 0 8 * * MON")` in one file, `func scheduleWeekly(cron string)` calling the host
    in another: the call is a host call with the caller's arguments, as within one file."""
    go_files = [(path, facts) for path, facts in plugin.files.items() if facts.language == "go"]
    declared_in = {(facts.package, name): path for path, facts in go_files for name in facts.function_params}
    for path, facts in go_files:
        added: list[HostCall] = []
        for call in facts.local_calls:
            wrapper_path = declared_in.get((facts.package, call.callee))
            if wrapper_path is None or wrapper_path == path:
                continue
            wrapper = plugin.files[wrapper_path]
            parameters = list(wrapper.function_params[call.callee])
            for host_call in wrapper.host_calls:
                if host_call.enclosing_function != call.callee or host_call.span.path != wrapper_path:
                    continue
                passed = {i: parameters.index(a.text) for i, a in enumerate(host_call.args) if a.text in parameters}
                if passed:
                    added.append(_wrapped_call(host_call, passed, call))
        if added:
            plugin.files[path] = dataclasses.replace(facts, host_calls=[*facts.host_calls, *added])


def _wrapped_call(host_call: HostCall, passed: dict[int, int], call: LocalCall) -> HostCall:
    args: list[Argument] = []
    for index, argument in enumerate(host_call.args):
        parameter = passed.get(index)
        if parameter is not None and parameter < len(call.args):
            args.append(call.args[parameter])
        else:  # values written inside the wrapper are reported at the wrapper's own call
            args.append(dataclasses.replace(argument, value=None, resolved=False, entries=(), prefix=""))
    return dataclasses.replace(
        host_call,
        span=call.span,
        name_span=call.name_span,
        args=tuple(args),
        enclosing_function=call.enclosing_function,
        in_init=call.in_init,
    )


def _resolve_constructor(registration: Registration, results: dict[str, str]) -> Registration:
    result = results.get(registration.target_constructor, "") if registration.target_constructor else ""
    if not result:
        return registration
    return dataclasses.replace(
        registration, target=result.lstrip("*"), by_value=not result.startswith("*"), target_constructor=""
    )


def _add_promoted_methods(plugin: PluginFacts) -> None:
    """A struct embedding another type of its package has that type's methods too (Go promotes them):
    they are added as one more ImplBlock of the struct, pointing at the embedded type's declarations."""
    go_files = [(path, facts) for path, facts in plugin.files.items() if facts.language == "go"]
    methods: dict[tuple[str, str], list[MethodDef]] = {}
    embeds: dict[tuple[str, str], tuple[str, ...]] = {}
    for _, facts in go_files:
        for impl in facts.impls:
            methods.setdefault((facts.package, impl.type_name), []).extend(impl.methods)
        embeds.update({(facts.package, t.name): t.embeds for t in facts.types if t.embeds})
    for path, facts in go_files:
        added = [
            block
            for declared in facts.types
            if declared.embeds and (block := _promoted_block(facts.package, declared, methods, embeds)) is not None
        ]
        if added:
            plugin.files[path] = dataclasses.replace(facts, impls=[*facts.impls, *added])


def _promoted_block(
    package: str,
    declared: TypeDecl,
    methods: dict[tuple[str, str], list[MethodDef]],
    embeds: dict[tuple[str, str], tuple[str, ...]],
) -> ImplBlock | None:
    own = {m.name for m in methods.get((package, declared.name), [])}
    promoted: dict[str, MethodDef] = {}
    pending = [(e.lstrip("*"), e.startswith("*")) for e in declared.embeds]
    seen = {declared.name}
    while pending:  # breadth first: a shallower method hides a deeper one of the same name
        name, by_pointer = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        pending += [(e.lstrip("*"), e.startswith("*")) for e in embeds.get((package, name), ())]
        for method in methods.get((package, name), []):
            if method.name not in own and method.name not in promoted:
                # Embedding *E puts E's pointer-receiver methods in the value's method set too.
                promoted[method.name] = dataclasses.replace(
                    method, pointer_receiver=method.pointer_receiver and not by_pointer
                )
    if not promoted:
        return None
    return ImplBlock(
        language="go",
        type_name=declared.name,
        trait="",
        trait_path=(),
        methods=tuple(promoted.values()),
        span=declared.span,
        type_span=declared.span,
    )


def _resolve_call(call: HostCall, constants: dict[str, LiteralValue]) -> HostCall:
    args = tuple(_resolve_argument(a, constants) for a in call.args)
    return call if args == call.args else dataclasses.replace(call, args=args)


def _resolve_argument(argument: Argument, constants: dict[str, LiteralValue]) -> Argument:
    if argument.resolved or argument.text not in constants:
        entries = tuple(dataclasses.replace(e, value=_resolve_argument(e.value, constants)) for e in argument.entries)
        return argument if entries == argument.entries else dataclasses.replace(argument, entries=entries)
    return dataclasses.replace(argument, value=constants[argument.text], resolved=True)
