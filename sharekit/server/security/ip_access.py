"""Recipient IP access lists."""

from __future__ import annotations

import ipaddress


def ip_allowed(access_list: tuple[str, ...] | None, host: str | None) -> bool:
    """No list (or an empty one) = any address; otherwise the address must fall in one of the CIDRs."""
    if not access_list:
        return True
    if host is None:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for entry in access_list:
        try:
            if address in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False
