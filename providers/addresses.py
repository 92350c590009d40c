"""Which addresses the portal may send a webhook to: those the IANA special-purpose address
registries mark globally reachable, with the IPv4 address inside the IPv6 forms that deliver
to one judged in its place.

The tables are written out rather than taken from `ipaddress.is_global`, which in Python 3.11
passes 192.0.0.8, 192.88.99.0/24, 3fff::/20, 5f00::/16 and addresses outside 2000::/3, and
refuses the registries' reachable exceptions inside 2001::/23.
"""

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

# The registries as published in 2025: (block, name, RFC, globally reachable). The most specific
# block holding an address decides, since some reachable blocks sit inside unreachable ones.
# None is the registry's "N/A" and is not reachable either.
IPV4_SPECIAL = [
    ("0.0.0.0/8", "This network", "RFC 791", False),
    ("0.0.0.0/32", "This host on this network", "RFC 1122", False),
    ("10.0.0.0/8", "Private-Use", "RFC 1918", False),
    ("100.64.0.0/10", "Shared Address Space", "RFC 6598", False),
    ("127.0.0.0/8", "Loopback", "RFC 1122", False),
    ("169.254.0.0/16", "Link Local", "RFC 3927", False),
    ("172.16.0.0/12", "Private-Use", "RFC 1918", False),
    ("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890", False),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335", False),
    ("192.0.0.8/32", "IPv4 dummy address", "RFC 7600", False),
    ("192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723", True),
    ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155", True),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880", False),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880", False),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737", False),
    ("192.31.196.0/24", "AS112-v4", "RFC 7535", True),
    ("192.52.193.0/24", "AMT", "RFC 7450", True),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526", None),
    ("192.88.99.2/32", "6a44-relay anycast address", "RFC 6751", False),
    ("192.168.0.0/16", "Private-Use", "RFC 1918", False),
    ("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534", True),
    ("198.18.0.0/15", "Benchmarking", "RFC 2544", False),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737", False),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737", False),
    ("240.0.0.0/4", "Reserved", "RFC 1112", False),
    ("255.255.255.255/32", "Limited Broadcast", "RFC 919", False),
]

IPV6_SPECIAL = [
    ("::1/128", "Loopback Address", "RFC 4291", False),
    ("::/128", "Unspecified Address", "RFC 4291", False),
    ("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291", False),
    ("64:ff9b::/96", "IPv4-IPv6 Translat.", "RFC 6052", True),
    ("64:ff9b:1::/48", "IPv4-IPv6 Translat.", "RFC 8215", False),
    ("100::/64", "Discard-Only Address Block", "RFC 6666", False),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780", False),
    ("2001::/23", "IETF Protocol Assignments", "RFC 2928", False),
    ("2001::/32", "TEREDO", "RFC 4380", None),
    ("2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723", True),
    ("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155", True),
    ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665", True),
    ("2001:2::/48", "Benchmarking", "RFC 5180", False),
    ("2001:3::/32", "AMT", "RFC 7450", True),
    ("2001:4:112::/48", "AS112-v6", "RFC 7535", True),
    ("2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843", None),
    ("2001:20::/28", "ORCHIDv2", "RFC 7343", True),
    ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374", True),
    ("2001:db8::/32", "Documentation", "RFC 3849", False),
    ("2002::/16", "6to4", "RFC 3056", None),
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534", True),
    ("3fff::/20", "Documentation", "RFC 9637", False),
    ("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602", False),
    ("fc00::/7", "Unique-Local", "RFC 4193", False),
    ("fe80::/10", "Link-Local Unicast", "RFC 4291", False),
]

_IPV4_BLOCKS = [(IPv4Network(block), reachable) for block, _, _, reachable in IPV4_SPECIAL]
_IPV6_BLOCKS = [(IPv6Network(block), reachable) for block, _, _, reachable in IPV6_SPECIAL]

# IANA has allocated only this for global unicast (RFC 4291): everything else, the deprecated
# IPv4-compatible ::/96 and site-local fec0::/10 among it, is reachable nowhere.
GLOBAL_UNICAST = IPv6Network("2000::/3")
NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")


def is_public(address: IPv4Address | IPv6Address) -> bool:
    embedded = _delivered_to(address) if isinstance(address, IPv6Address) else None
    if embedded is not None:
        return is_public(embedded)
    if address.is_multicast:
        return False
    if isinstance(address, IPv6Address):
        if address not in GLOBAL_UNICAST:
            return False
        blocks = _IPV6_BLOCKS
    else:
        blocks = _IPV4_BLOCKS
    holding = [(network, reachable) for network, reachable in blocks if address in network]
    if not holding:
        return True
    _, reachable = max(holding, key=lambda entry: entry[0].prefixlen)
    return reachable is True


def _delivered_to(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 host a connection to this IPv6 address ends up at, if the form says so."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped  # the host's own stack connects over IPv4
    if address in NAT64_WELL_KNOWN:
        return IPv4Address(int(address) & 0xFFFF_FFFF)  # RFC 6052: the last 32 bits
    # The local-use NAT64 prefix 64:ff9b:1::/48 is not decoded: the registry refuses it whole.
    return address.sixtofour  # RFC 3056: bits 16 to 48 of 2002::/16, else None
