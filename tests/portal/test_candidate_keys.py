"""The look-up's candidate prefixes, worked out with bit masks, are ipaddress's own networks."""

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from wso_portal.models import PREFIX_LENGTHS, address_key, candidate_keys


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_each_candidate_is_the_first_address_of_the_prefix_holding_the_address(value):
    address = ipaddress.IPv6Address(value)
    expected = [
        address_key(ipaddress.IPv6Network((address, length), strict=False).network_address)
        for length in PREFIX_LENGTHS
    ]
    assert candidate_keys(address) == expected
