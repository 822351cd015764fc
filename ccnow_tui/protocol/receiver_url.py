"""The receiver URL's rules that every layer shares: which hosts are this machine."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """This machine, without asking DNS: ``localhost``, 127.0.0.0/8 or ::1, nothing else.

    (``localhost.`` is a fully qualified name that a resolver may send to DNS, and an
    IPv4-mapped ``::ffff:127.0.0.1`` is not what anyone types for the sandbox.)
    """
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if address.version == 4:
        return address in ipaddress.ip_network("127.0.0.0/8")
    return address == ipaddress.IPv6Address("::1")
