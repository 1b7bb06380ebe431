"""The network a client address belongs to: what rate limits, login throttling and the access log count by.

One office, one home or one phone's delegation shares a network, so counting by network (not by address) stops a
script from renewing itself by rotating addresses, and logs keep no individual's address."""

from __future__ import annotations

import ipaddress

IPV4_PREFIX = 24


def network_of(address: str, *, ipv6_prefix: int = 48) -> str:
    """``address`` cut to its network: IPv4 /24, IPv6 /``ipv6_prefix`` (an IPv4-mapped IPv6 address counts as IPv4;
    brackets are ignored). Anything that is not an address (a test client's name) stands for itself."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else ipv6_prefix
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
