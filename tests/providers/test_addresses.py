"""The address guard of 即時通知: only addresses the IANA registries mark globally reachable,
judged by the IPv4 address inside the IPv6 forms that carry one."""

import ipaddress
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from providers.addresses import is_public
from providers.models import Endpoint
from providers.webhooks import UnsafeURL, check_url

from ..factories import make_provider

NOT_PUBLIC = [
    # IPv4 special-purpose registry
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "100.64.0.1",
    "127.0.0.1",
    "169.254.169.254",
    "172.16.0.1",
    "192.0.0.1",  # IPv4 Service Continuity Prefix
    "192.0.0.8",  # IPv4 dummy address
    "192.0.0.170",  # NAT64/DNS64 discovery
    "192.0.0.255",  # IETF Protocol Assignments
    "192.0.2.1",
    "192.88.99.1",  # the deprecated 6to4 relay anycast
    "192.88.99.2",  # 6a44 relay anycast
    "192.168.0.1",
    "198.18.0.1",
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    # IPv4-compatible ::/96
    "::",
    "::1",
    "::7f00:1",
    "::127.0.0.1",
    "::a00:1",
    "::8.8.8.8",  # deprecated: refused even around a public IPv4
    # IPv4-mapped ::ffff:0:0/96
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:192.0.0.8",
    # NAT64, well-known prefix 64:ff9b::/96
    "64:ff9b::7f00:1",
    "64:ff9b::a00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::c000:8",
    # NAT64, local-use prefix 64:ff9b:1::/48: refused whole
    "64:ff9b:1::a00:1",
    "64:ff9b:1:a00:0:100::",  # 10.0.0.1 placed as RFC 6052 places it under a /48
    "64:ff9b:1:808:8:800::",  # 8.8.8.8 likewise
    # 6to4 2002::/16
    "2002:7f00:1::1",
    "2002:a00:1::1",
    "2002:a9fe:a9fe::",
    "2002:c0a8:1::1",
    "2002:c000:8::1",
    # Teredo 2001::/32
    "2001::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    # IPv6 special-purpose registry
    "2001:2::1",  # benchmarking
    "2001:4::1",  # IETF Protocol Assignments outside a reachable assignment
    "2001:10::1",  # ORCHID, deprecated
    "2001:db8::1",
    "100::1",  # discard-only
    "100:0:0:1::1",  # dummy prefix
    "3fff::1",  # documentation
    "5f00::1",  # SRv6 SIDs
    "fc00::1",
    "fd00::1",
    "fe80::1",
    "fec0::1",  # site-local, deprecated
    "ff02::1",  # multicast
    "ff0e::1",
    "4000::1",  # not allocated by IANA
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "192.0.0.9",  # PCP anycast
    "192.0.0.10",  # TURN anycast
    "192.31.196.1",  # AS112-v4
    "192.175.48.1",  # AS112 direct delegation
    "2001:4860:4860::8888",
    "2a00:1450:4001::200e",
    "2001:1::1",
    "2001:1::2",
    "2001:3::1",
    "2001:4:112::1",
    "2001:20::1",
    "2001:30::1",
    "2620:4f:8000::1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


def url_of(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}/hook"


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_it_refuses_an_address_that_is_not_globally_reachable(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_check_url_refuses_it_in_production(settings, address):
    settings.WSO_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeURL, match="公開されていないアドレス"):
        check_url(url_of(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_it_accepts_a_globally_reachable_address(settings, address):
    settings.WSO_WEBHOOK_ALLOW_PRIVATE = False
    assert is_public(ipaddress.ip_address(address))
    _, _, _, addresses = check_url(url_of(address))
    assert [ipaddress.ip_address(one) for one in addresses] == [ipaddress.ip_address(address)]


@pytest.mark.django_db
def test_the_command_refuses_an_ipv6_form_of_loopback_and_prints_no_secret(settings):
    settings.WSO_WEBHOOK_ALLOW_PRIVATE = False
    make_provider(code="A0101")
    stdout = StringIO()
    with pytest.raises(CommandError, match="公開されていないアドレス"):
        call_command(
            "provider_endpoint", "A0101", "--url", "https://[::7f00:1]/hook", stdout=stdout
        )
    assert stdout.getvalue() == ""
    assert not Endpoint.objects.exists()
