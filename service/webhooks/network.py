"""Outbound HTTP that cannot be pointed at our own network (SSRF guard).

Two clients carry the guard: `delivery_session` (aiohttp), which sends webhook deliveries,
and `guarded_client` (httpx), which fetches files ATS webhooks link to. Deliveries are the hot
path: aiohttp spends about a tenth of httpx's CPU per request (bench/README.md, "Webhook
delivery"), whose pool checks every idle connection with a system call on each request.

A webhook URL is chosen by a tenant, so without a guard it could make our workers call
`http://169.254.169.254/` (cloud credentials), the database host, or an admin port on
localhost. The guard:

- resolves the host itself, refuses the request when ANY resolved address is not allowed,
  then connects to one of the addresses it checked (never resolving again: no DNS-rebinding
  window between the check and the connection). TLS still verifies the certificate against,
  and sends SNI for, the URL's host name;
- refuses loopback (127.0.0.0/8, ::1) unless `webhook_allow_loopback`, private networks
  (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) unless `webhook_allow_private`, and
  always: unspecified (0.0.0.0, ::), link-local (169.254/16, fe80::/10), multicast, reserved
  and other special-purpose ranges, and the cloud metadata addresses. IPv4-mapped (::ffff:a.b.c.d),
  NAT64 (64:ff9b::/96) and 6to4 (2002::/16) IPv6 addresses are judged by the IPv4 address inside;
- ignores proxy environment variables (a proxy would resolve the name itself);
- never follows redirects: a 3xx answer is a failed attempt.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import ipaddress
import logging
import re
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import anyio
import httpcore
import httpx
import idna
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult

from service.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# httpx logs every request's full URL at INFO. The URLs Hiregraph calls can carry credentials
# (a vendor's signed link to a file, a token in a webhook URL) and personal data (a file's name),
# so its logger stays at WARNING whatever the root level: our own log lines name ids instead.
logging.getLogger("httpx").setLevel(logging.WARNING)

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack…
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS DNS
        "fd00:ec2::254",  # AWS IMDS over IPv6 (inside fc00::/7)
        "fd00:ec2::253",
        "100.100.100.200",  # Alibaba Cloud (inside 100.64/10)
        "192.0.0.192",  # Oracle Cloud
        "168.63.129.16",  # Azure WireServer (the host agent's endpoint)
    )
)
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SPECIAL_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.0.0/24", "192.88.99.0/24", "198.18.0.0/15", "fec0::/10")
)
"""Special-purpose ranges refused whatever `ipaddress` of this Python's patch level calls global
(IETF protocol assignments, 6to4 relay anycast, benchmarking, deprecated site-local)."""


class AddressNotAllowed(httpcore.ConnectError, OSError):
    """The URL's host is, or resolves to, an address deliveries may not reach (an `OSError`
    too, so aiohttp reports it as a connection error with this as its cause)."""


class ResolveError(httpcore.ConnectError, OSError):
    """A host name that does not resolve."""


class ResolveTimeout(httpcore.ConnectTimeout, OSError):
    """A host name that did not resolve in time."""


def refusal(address: IPAddress, *, allow_loopback: bool = False, allow_private: bool = False) -> str | None:
    """Why `address` may not be called, or None when it may."""
    ip: IPAddress = address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
    if ip in METADATA_ADDRESSES or address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if any(ip in net for net in PRIVATE_NETWORKS if net.version == ip.version):
        return None if allow_private else "a private address"
    if ip.is_reserved or not ip.is_global or any(ip in net for net in SPECIAL_NETWORKS if net.version == ip.version):
        return "a reserved or special-purpose address"
    return None


def check_address(address: str | IPAddress, settings: Settings) -> str | None:
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    return refusal(ip, allow_loopback=settings.webhook_allow_loopback, allow_private=settings.webhook_allow_private)


_NUMERIC_HOST = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*", re.IGNORECASE)
"""A host made of numbers only (decimal, octal or hex parts): an address, whatever its form."""


def check_url(url: str, settings: Settings) -> str | None:
    """Why `url` cannot be an endpoint, or None. Checks the form and, for an IP literal host,
    the address; host names are checked at every delivery, after resolution."""
    if len(url) > 2000:
        return "the URL is longer than 2000 characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the URL is malformed"
    if parts.scheme not in {"http", "https"}:
        return "the URL must start with https:// or http://"
    if not parts.hostname:
        return "the URL needs a host"
    if parts.username is not None or parts.password is not None:
        return "the URL may not carry credentials"
    if port == 0:
        return "the URL's port is invalid"
    try:
        ip = ipaddress.ip_address(parts.hostname)
    except ValueError:
        if _NUMERIC_HOST.fullmatch(parts.hostname.rstrip(".")):
            # 2130706433, 0177.0.0.1, 127.1, 0x7f.1: an address in a form clients read differently
            return "the host must be a host name or an address in its usual form"
        return None
    why = check_address(ip, settings)
    return f"the host is {why}" if why else None


DNS_THREADS = 32
"""Name lookups at once: as many as the worker's deliveries at once by default
(`HIREGRAPH_WEBHOOK_CONCURRENCY`). `getaddrinfo` blocks, so it runs in threads of its own,
never in the event loop's default executor, which the API's own work uses (`asyncio.to_thread`):
receivers whose names resolve slowly hold these threads at most, and a lookup waiting for one
still ends at its timeout (its thread runs on until the resolver gives up)."""
_DNS = concurrent.futures.ThreadPoolExecutor(max_workers=DNS_THREADS, thread_name_prefix="hiregraph-dns")


async def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        name = host.encode("ascii")
    except UnicodeEncodeError:
        name = idna.encode(host, uts46=True)  # IDNA 2008, as anyio's and httpx's lookups
    lookup = functools.partial(socket.getaddrinfo, name, port, type=socket.SOCK_STREAM)
    infos = await asyncio.get_running_loop().run_in_executor(_DNS, lookup)
    seen: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if isinstance(sockaddr[0], int):  # an IPv6 result where Python has no IPv6
            continue
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in seen:
            seen.append(ip)
    return seen


async def allowed_addresses(host: str, port: int, settings: Settings, timeout: float | None) -> list[IPAddress]:  # noqa: ASYNC109 - the clients' own timeout
    """`host`'s addresses, resolved once, when every one of them may be called; raises
    `AddressNotAllowed` when any may not, `httpcore.ConnectError`/`ConnectTimeout` when the
    name does not resolve (both `OSError`s for aiohttp too)."""
    try:
        with anyio.fail_after(timeout):
            addresses = await resolve(host, port)
    except TimeoutError as exc:
        raise ResolveTimeout(f"resolving {host} timed out") from exc
    except OSError as exc:
        raise ResolveError(f"cannot resolve {host}: {exc}") from exc
    if not addresses:
        raise ResolveError(f"{host} has no address")
    for ip in addresses:
        why = check_address(ip, settings)
        if why:
            raise AddressNotAllowed(f"refused: {host} resolves to {ip}, {why}")
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking before it connects to an address."""

    def __init__(self, settings: Settings, backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.settings = settings
        self.backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await allowed_addresses(host, port, self.settings, timeout)
        last: Exception | None = None
        for ip in addresses:
            try:
                return await self.backend.connect_tcp(
                    str(ip), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressNotAllowed("refused: Unix sockets are not a webhook destination")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over `GuardedBackend`; no proxies from the environment."""

    def __init__(self, settings: Settings, *, max_connections: int = 100) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
            network_backend=GuardedBackend(settings),
        )


def guarded_client(settings: Settings, *, max_connections: int = 100) -> httpx.AsyncClient:
    """An httpx client that delivers webhooks: guarded, no redirects, no proxies, no cookies kept
    between receivers (each request sets its own headers)."""
    return httpx.AsyncClient(
        transport=GuardedTransport(settings, max_connections=max_connections),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(settings.webhook_timeout),
        headers={"user-agent": "Hiregraph-Webhooks/1"},
    )


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing a name when any of its addresses may not be called. The
    connector connects only to the addresses returned here (and caches them briefly), so
    nothing is resolved again between the check and the connection."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await allowed_addresses(host, port, self.settings, self.settings.webhook_timeout)
        return [
            ResolveResult(
                hostname=host,
                host=str(ip),
                port=port,
                family=socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for ip in addresses
        ]

    async def close(self) -> None:
        return None


def guarded_socket(settings: Settings) -> Any:
    """aiohttp's socket factory, checking the very address it is about to connect to: the
    resolver never sees a URL whose host is an IP literal, this does."""

    def factory(addr_info: tuple[Any, ...]) -> socket.socket:
        family, kind, proto, _name, sockaddr = addr_info
        host = str(sockaddr[0]).split("%", 1)[0]
        try:
            why = check_address(host, settings)
        except ValueError:
            why = "not an address"
        if why:
            raise AddressNotAllowed(f"refused: {host} is {why}")
        return socket.socket(family, kind, proto)

    return factory


KEEPALIVE_SECONDS = 4.0
"""How long an idle connection to a receiver is kept: under the 5 s after which common servers
(Node's default) close theirs, so a request rarely goes out on a connection being closed."""


def delivery_session(
    settings: Settings, *, max_connections: int = 100, trace_configs: list[Any] | None = None
) -> aiohttp.ClientSession:
    """The aiohttp session that sends webhook deliveries: guarded (resolver and socket), a pool
    of keep-alive connections per receiver (host and port), no proxies, no cookies, no
    redirects (`sending.send` asks for none). Open it inside a running event loop."""
    connector = aiohttp.TCPConnector(
        limit=max_connections,
        resolver=GuardedResolver(settings),
        socket_factory=guarded_socket(settings),
        keepalive_timeout=KEEPALIVE_SECONDS,
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        timeout=aiohttp.ClientTimeout(total=settings.webhook_timeout),
        headers={"user-agent": "Hiregraph-Webhooks/1"},
        trace_configs=trace_configs,
    )


def refused_reason(exc: BaseException) -> str | None:
    """The guard's message when `exc` (an httpx or aiohttp error) came from a refusal, else None."""
    found = _guard_error(exc)
    return str(found) if isinstance(found, AddressNotAllowed) else None


def guard_message(exc: BaseException) -> str | None:
    """The guard's own message when `exc` came from it: a refusal, or a name that did not resolve."""
    found = _guard_error(exc)
    return str(found) if found is not None else None


def _guard_error(exc: BaseException) -> BaseException | None:
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, AddressNotAllowed | ResolveError | ResolveTimeout):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def without_url(message: str, url: str) -> str:
    """`message` with `url` (as given, and as a client normalises it) cut to its origin: a webhook
    URL's path and query can carry its token, and error messages quote the whole URL."""
    try:
        parsed = yarl.URL(url)
        forms = {url, str(parsed), parsed.human_repr()}
        origin = str(parsed.origin()) + "/…"
    except (ValueError, TypeError):
        return message.replace(url, "(the endpoint's URL)")
    for form in sorted(forms, key=len, reverse=True):
        message = message.replace(form, origin)
    return message
