"""Which addresses a page read may connect to: public ones, plus what SEARCH_ALLOW_PRIVATE names explicitly."""
from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

__all__ = ["AllowList", "AllowRule", "Resolve", "is_public", "parse_rule", "system_resolve"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# (host, port) → every address the host resolves to; tests inject one mapping names to chosen addresses.
Resolve = Callable[[str, int], Awaitable[list[str]]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOST = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (::ffff:a.b.c.d, 6to4, Teredo, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str | IPAddress) -> bool:
    """True only for a globally routable unicast address (IPv4 or IPv6, embedded IPv4 checked too)."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None and not is_public(inner):
            return False
    # is_global is False for private, loopback, link-local (169.254.169.254), shared, reserved and unspecified.
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True, slots=True)
class AllowRule:
    """One SEARCH_ALLOW_PRIVATE entry: a host name or an address/network, optionally one port."""

    host: str | None = None
    network: IPNetwork | None = None
    port: int | None = None

    def matches(self, host: str, ip: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return ip in self.network
        return self.host == host.lower().rstrip(".")


def _port(text: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise ValueError(f"port {port} out of range")
    return port


def parse_rule(text: str) -> AllowRule:
    """`127.0.0.1`, `10.0.0.0/8`, `::1`, `[::1]:8080`, `127.0.0.1:8080`, `searxng` or `searxng:8080`."""
    entry = text.strip().lower()
    if not entry:
        raise ValueError("empty entry")
    port: int | None = None
    if entry.startswith("["):  # [v6] or [v6]:port
        inner, bracket, rest = entry[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r}: expected [address]:port")
        entry, port = inner, (_port(rest[1:]) if rest else None)
    elif entry.count(":") == 1:  # host:port or v4:port (a bare IPv6 address has several colons)
        entry, _, port_text = entry.partition(":")
        port = _port(port_text)
    try:
        return AllowRule(network=ipaddress.ip_network(entry, strict=False), port=port)
    except ValueError:
        pass
    if not _HOST.fullmatch(entry.rstrip(".")):
        raise ValueError(f"{text!r} is neither a host name nor an address/network")
    return AllowRule(host=entry.rstrip("."), port=port)


class AllowList:
    """The private addresses an operator allowed (a self-hosted SearXNG, loopback in tests); empty by default."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.rules = tuple(parse_rule(e) for e in entries)

    def allows(self, host: str, address: str, port: int) -> bool:
        """May `host` (at `address`, `port`) be reached: public, or explicitly allowed."""
        ip = ipaddress.ip_address(address)
        if is_public(ip):
            return True
        return any(rule.matches(host, ip, port) for rule in self.rules)


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (A and AAAA)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))
