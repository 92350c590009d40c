"""The disclosure log's addresses are written as SQL: their text must be what the model's
GenericIPAddressField would store for them."""

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from providers.models import Disclosure
from providers.services import stored_text

FIELD = Disclosure._meta.get_field("address")

addresses = st.one_of(
    st.integers(min_value=0, max_value=2**128 - 1),
    st.integers(min_value=0, max_value=2**32 - 1).map(
        lambda v: 0xFFFF_0000_0000 | v
    ),  # ::ffff:a.b.c.d
    st.integers(min_value=0, max_value=2**32 - 1),  # ::a.b.c.d
).map(ipaddress.IPv6Address)


@given(addresses)
def test_an_address_is_stored_as_the_field_would_store_it(address):
    assert stored_text(address) == FIELD.get_prep_value(str(address))
    assert stored_text(address) == FIELD.get_prep_value(address.exploded)
