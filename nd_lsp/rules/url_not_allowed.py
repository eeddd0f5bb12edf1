"""ND206: an HTTP or WebSocket URL literal whose scheme or host the manifest's requiredHosts does not allow."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from typing import Literal

from nd_lsp.frontends.facts import JsonNode, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Related, Rule, Severity, TextEdit
from nd_lsp.rules.host_constraints import ConstrainedArgument, constrained_arguments

REQUIRED_HOSTS = "requiredHosts"
# Regular expressions as text, compiled on first use (re caches them): a check compiles only those it needs.
_SCHEME = r"^([A-Za-z][A-Za-z0-9+.-]*):"
# What Go's net.IP IsLoopback/IsPrivate/IsLinkLocalUnicast/IsLinkLocalMulticast cover.
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "224.0.0.0/24",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)

EmptyList = Literal["public", "deny"]


@frozen_dataclass
class UrlPolicy:
    """How a host function checks URLs, from its `url` constraint's value: "http,https;empty=public"."""

    schemes: tuple[str, ...]
    empty_list: EmptyList  # public: any host but private/loopback; deny: no host at all

    @staticmethod
    def parse(value: str) -> UrlPolicy:
        schemes_text, *options = value.split(";")
        schemes = tuple(s.strip().lower() for s in schemes_text.split(",") if s.strip())
        settings = dict(o.split("=", 1) for o in options if "=" in o)
        empty: EmptyList = "deny" if settings.get("empty", "").strip() == "deny" else "public"
        return UrlPolicy(schemes, empty)


@frozen_dataclass
class Allowlist:
    """`permissions.<key>.requiredHosts` of manifest.json, with where to point and to insert."""

    permission: str
    hosts: tuple[str, ...]
    node: JsonNode | None  # the array; None when the key is missing
    permission_key_span: Span
    manifest_text: str = ""

    @property
    def span(self) -> Span:
        return self.node.span if self.node is not None else self.permission_key_span


@frozen_dataclass
class UrlParts:
    """The scheme and host of a URL, as Go's net/url splits them."""

    scheme: str
    host: str  # Go's URL.Host: host[:port] as written, brackets kept


def split_url(url: str) -> UrlParts:
    """The scheme (lower-cased) and authority host of a URL, read the way Go's url.Parse reads them."""
    match = re.match(_SCHEME, url)
    scheme = match.group(1).lower() if match else ""
    rest = url[match.end() :] if match else url
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    if not rest.startswith("//"):
        return UrlParts(scheme, "")
    authority = rest[2:].split("/", 1)[0]
    return UrlParts(scheme, authority.rpartition("@")[2])


def http_hostname(host: str) -> str:
    """The host services' hostname: net.SplitHostPort, else the host without IPv6 brackets (the WebSocket
    service cuts at the last colon instead, which differs only for a bracketed IPv6 address)."""
    if host.startswith("["):
        end = host.find("]")
        after = host[end + 1 :] if end != -1 else ""
        if end != -1 and (after.startswith(":") or after == ""):
            return host[1:end]
        return host
    return host.split(":", 1)[0] if host.count(":") == 1 else host


def matches_host_pattern(pattern: str, host: str) -> bool:
    """`*`, an exact (case-sensitive) host, or `*.suffix`, as the host's matchHostPattern does."""
    if pattern in ("*", host):
        return True
    return pattern.startswith("*.") and host.endswith(pattern[1:])


def is_private_or_loopback(hostname: str) -> bool:
    if hostname.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv6Address) and address.packed[0] == 0xFF and address.packed[1] & 0x0F == 2:
        return True  # link-local multicast, whatever the flags
    return any(address in network for network in _BLOCKED_NETWORKS if network.version == address.version)


def allowlist(ctx: RuleContext, permission: str) -> Allowlist | None:
    """The permission's requiredHosts; None when the manifest does not declare the permission at all
    (ND303 reports that) or cannot be read."""
    manifest = ctx.plugin.manifest
    permissions = manifest.root.get("permissions") if manifest is not None and manifest.root is not None else None
    member = permissions.member(permission) if permissions is not None and permissions.kind == "object" else None
    if member is None or member.value.kind != "object":
        return None
    node = member.value.get(REQUIRED_HOSTS)
    if node is not None and node.kind != "array":
        return None  # a schema error, ND302's to report
    hosts = tuple(i.value for i in node.items if isinstance(i.value, str)) if node is not None else ()
    return Allowlist(permission, hosts, node, member.key_span, manifest.text if manifest is not None else "")


class UrlNotAllowed(Rule):
    """A URL literal that Navidrome will refuse because of its scheme or the manifest's allowed hosts.

    ## What it does
    Checks URL literals passed to the HTTP and WebSocket host functions against the manifest's
    `requiredHosts` of the matching permission, the way Navidrome does at run time: a pattern is
    `*`, an exact host or `*.suffix`. For HTTP, the scheme must be `http` or `https` and an empty
    list allows every host except private and loopback addresses; for WebSocket the scheme must be
    `ws` or `wss` and an empty list allows no host at all. A URL built at run time is not checked.

    ## Why is this bad?
    The host refuses the request ("host is not allowed", "invalid URL scheme") and the plugin gets an
    error instead of a response, although everything compiled.

    ## Example
    ```json
    { "permissions": { "http": { "requiredHosts": ["api.example.com"] } } }
    ```
    ```rust
    let url = "https://cdn.example.org/x".to_string();
    http::send(HTTPRequest { method: "GET".into(), url, headers, no_follow_redirects: false, body, timeout_ms: 0 })?;
    ```
    ```go
    host.HTTPSend(host.HTTPRequest{Method: "GET", URL: "https://cdn.example.org/x"})
    ```
    ```python
    request = {"request": {"method": "GET", "url": "https://cdn.example.org/x"}}
    _http_send(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```

    ## Use instead
    ```json
    { "permissions": { "http": { "requiredHosts": ["api.example.com", "cdn.example.org"] } } }
    ```
    ```rust
    // the same call, now that manifest.json allows cdn.example.org
    let url = "https://cdn.example.org/x".to_string();
    http::send(HTTPRequest { method: "GET".into(), url, headers, no_follow_redirects: false, body, timeout_ms: 0 })?;
    ```
    ```go
    // the same call, now that manifest.json allows cdn.example.org
    host.HTTPSend(host.HTTPRequest{Method: "GET", URL: "https://cdn.example.org/x"})
    ```
    ```python
    # the same call, now that manifest.json allows cdn.example.org
    request = {"request": {"method": "GET", "url": "https://cdn.example.org/x"}}
    _http_send(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```
    """

    code = "ND206"
    name = "url-not-allowed"
    severity = Severity.ERROR
    languages = ("rust", "go", "python")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for found in constrained_arguments(ctx, self.code):
            url = _known_url(found)
            if found.constraint.kind != "url" or url is None:
                continue
            hosts = allowlist(ctx, found.service.permission)
            if hosts is None:
                continue
            finding = self._check_url(found, url, UrlPolicy.parse(found.constraint.value), hosts)
            if finding is not None:
                yield finding

    def _check_url(self, found: ConstrainedArgument, url: str, policy: UrlPolicy, hosts: Allowlist) -> Finding | None:
        parts = split_url(url)
        if not found.argument.resolved:
            url += "…"  # only its start is known
        where = f"permissions.{hosts.permission}.{REQUIRED_HOSTS}"
        related = (Related(hosts.span, f"{where} in manifest.json"),)
        if policy.schemes and parts.scheme not in policy.schemes:
            allowed = " or ".join(policy.schemes)
            message = (
                f'{found.callee}: URL "{url}" has scheme "{parts.scheme}", not {allowed}; Navidrome refuses '
                f"the call at run time (invalid URL scheme); use a URL with scheme {allowed}"
            )
            return self.finding(found.argument.span, message, related=related)
        if not parts.host:
            return None
        hostname = http_hostname(parts.host)
        reason = _refusal(hostname, policy, hosts, where)
        if reason is None:
            return None
        advice = f'add "{hostname}" to {where} in manifest.json'
        if not hosts.hosts and policy.empty_list == "public":
            advice = (
                f'list every host the plugin calls, "{hostname}" included, in {where} '
                f"(a non-empty list allows only the hosts it names)"
            )
        message = (
            f'{found.callee}: host "{hostname}" of "{url}" {reason}; Navidrome refuses the call at run time '
            f'("host is not allowed"); {advice}'
        )
        fixes = _allow_host_fix(hostname, policy, hosts)
        return self.finding(found.argument.span, message, related=related, fixes=fixes)


def _known_url(found: ConstrainedArgument) -> str | None:
    """The URL, or the constant start of one built at run time when it already holds the scheme and
    the whole host (`"https://api.example.com/" + path`; not `"https://api." + domain`)."""
    argument = found.argument
    if argument.resolved:
        return argument.value if isinstance(argument.value, str) else None
    match = re.match(_SCHEME, argument.prefix)
    if match is None:
        return None
    rest = argument.prefix[match.end() :]
    if rest.startswith("//") and not any(end in rest[2:] for end in "/?#"):
        return None
    return argument.prefix


def _refusal(hostname: str, policy: UrlPolicy, hosts: Allowlist, where: str) -> str | None:
    if hosts.hosts:
        if any(matches_host_pattern(p, hostname) for p in hosts.hosts):
            return None
        return f"matches none of {where} ({', '.join(hosts.hosts)})"
    if policy.empty_list == "deny":
        return f"is not listed: an empty {where} allows no host"
    if is_private_or_loopback(hostname):
        return f"is a private or loopback address, which an empty {where} does not allow"
    return None


def _allow_host_fix(hostname: str, policy: UrlPolicy, hosts: Allowlist) -> tuple[Fix, ...]:
    """Add the host to the list, unless that would turn an allow-all-public empty list into a narrow one."""
    node = hosts.node
    if node is None or (not node.items and policy.empty_list != "deny"):
        return ()
    literal = json.dumps(hostname)
    if node.items:
        last = node.items[-1].span
        separator = ", "
        if last.start.line != node.span.start.line:  # one item per line: keep the layout
            lines = hosts.manifest_text.splitlines()
            line = lines[last.start.line] if last.start.line < len(lines) else ""
            separator = ",\n" + line[: len(line) - len(line.lstrip())]
        edit = TextEdit(Span(node.span.path, last.end, last.end), f"{separator}{literal}")
    else:
        edit = TextEdit(node.span, f"[{literal}]")
    return (Fix(f'Allow "{hostname}" in manifest.json', (edit,), applicability="unsafe"),)
