"""Network addresses: which ones only this machine can reach."""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"]  # as Host headers name them


def is_loopback(host: str) -> bool:
    """Return whether an address or host name only reaches this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
