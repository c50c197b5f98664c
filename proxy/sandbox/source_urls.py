"""Moda's SSRF check on `POST /v1/uploads/from-url`: https only, never an internal host.

The sandbox has no network and resolves no names, so it judges the URL as written:
loopback, private, link-local (cloud metadata) and other non-global addresses, in any
spelling `inet_aton` accepts, and the names that always mean this machine or its cloud.
"""

import contextlib
import ipaddress
import re
import socket
from typing import Final

from yarl import URL

from proxy.sandbox.errors import SandboxError, validation_failed

_LOCAL_NAMES: Final = frozenset({"localhost", "metadata", "metadata.google.internal"})
_LOCAL_SUFFIXES: Final = (".localhost", ".internal", ".local")
_NUMERIC_HOST: Final = re.compile(r"^[0-9a-fA-FxX.]+$")


def check_source_url(value: str) -> URL:
    try:
        url = URL(value)
    except ValueError:
        raise _refused("Must be an absolute https URL.", "url_scheme") from None
    if url.scheme != "https" or not url.host:
        raise _refused("Must be an absolute https URL.", "url_scheme")
    if _is_internal(url.host):
        raise _refused("URLs of internal, private or loopback hosts are not fetched.", "ssrf")
    return url


def _is_internal(host: str) -> bool:
    name = host.lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES):
        return True
    address = _address(name)
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    # Not a literal address: it may still be one of the numeric spellings below.
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(name.strip("[]"))
    if _NUMERIC_HOST.match(name):
        # `2130706433` and `0x7f.1` are 127.0.0.1 to most resolvers.
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    return None


def _refused(message: str, code: str) -> SandboxError:
    return validation_failed([{"field": "body.source_url", "code": code, "message": message}])
