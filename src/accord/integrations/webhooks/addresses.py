"""Where webhooks may go: public addresses only, unless ACCORD_WEBHOOK_ALLOW_PRIVATE is set.

A subscription's URL is checked when it is saved (a literal address or `localhost`), and every
attempt checks the address it actually connected to, before anything is sent — so a name that
resolves (or is re-pointed) to a private address is refused too.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

ALLOW_SETTING = "ACCORD_WEBHOOK_ALLOW_PRIVATE"


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


def private_allowed() -> bool:
    return bool(getattr(settings, ALLOW_SETTING, False))


def is_private(address: str) -> bool:
    """Whether an IP address is not on the public internet: private, loopback, link-local
    (cloud metadata), shared, reserved, unspecified or multicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64 or ip in _IPV4_TRANSLATED:  # an IPv4 address carried in IPv6
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return not ip.is_global or ip.is_multicast


def refusal(host: str, address: str) -> str:
    return (
        f"{host} is a private address ({address}): webhooks reach public addresses only. "
        f"Set {ALLOW_SETTING}=1 to allow receivers on the local network."
    )


def literal_refusal(host: str) -> str | None:
    """The reason a URL's host cannot receive webhooks, known without a DNS lookup."""
    if private_allowed():
        return None
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return refusal(host, "loopback")
    try:
        return refusal(host, name) if is_private(name) else None
    except ValueError:
        return None  # a name: checked when an attempt connects


def proxied_refusal(url: str) -> str | None:
    """With an HTTP(S)_PROXY in the environment the connection goes to the proxy, so the
    receiver's own addresses are resolved and checked here, before the request is sent."""
    if private_allowed():
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    proxies = urllib.request.getproxies()
    if parts.scheme not in proxies or urllib.request.proxy_bypass(host):
        return None
    try:
        found = socket.getaddrinfo(host, parts.port or None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        return f"Could not resolve {host}: {exc}"
    for *_, sockaddr in found:
        if is_private(str(sockaddr[0])):
            return refusal(host, str(sockaddr[0]))
    return None


class PrivateAddressRefused(OSError):
    pass


def _check_peer(connection: http.client.HTTPConnection) -> None:
    if private_allowed() or connection.sock is None:
        return
    peer = connection.sock.getpeername()[0]
    if is_private(peer):
        connection.close()
        raise PrivateAddressRefused(refusal(connection.host, peer))


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        # The TCP connection is checked before the TLS handshake and before any request byte.
        http.client.HTTPConnection.connect(self)
        _check_peer(self)
        server_hostname = self._tunnel_host or self.host  # type: ignore[attr-defined]
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            self.sock, server_hostname=server_hostname
        )


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: Any) -> Any:
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: Any) -> Any:
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


def guarded_handlers() -> list[urllib.request.BaseHandler]:
    return [_GuardedHTTPHandler(), _GuardedHTTPSHandler()]
