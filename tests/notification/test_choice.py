"""all_in_choice, written as SQL, against the rule stated with the ORM (tests/notification/rules),
for any layout of a line's settings, 工事 and providers."""

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notification.models import Direction
from notification.services import all_in_choice
from tests.factories import make_application, make_line, make_provider, set_notify
from tests.statements import statements_sent

from .rules import choice

pytestmark = pytest.mark.django_db

NOBODY = 10**9  # an id no provider has

provider_layout = st.fixed_dictionaries(
    {
        "active": st.booleans(),
        "setting": st.sampled_from([None, True, False]),  # the line's: none, 通知する, 通知しない
        "work": st.sampled_from([None, "received", "completed"]),  # the line's 工事: open, closed
        "elsewhere": st.booleans(),  # another line's open 工事 and 通知する: no effect here
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layouts=st.lists(provider_layout, min_size=1, max_size=5),
    data=st.data(),
    direction=st.sampled_from([Direction.NOTIFY, Direction.STOP]),
)
def test_all_in_choice_agrees_with_the_rule(layouts, data, direction):
    picks = data.draw(st.lists(st.integers(min_value=0, max_value=len(layouts) - 1), max_size=4))
    with transaction.atomic():
        line, other = make_line(), make_line()
        providers = [make_provider(active=layout["active"]) for layout in layouts]
        pairs = list(zip(providers, layouts, strict=True))
        for provider, layout in pairs:
            if layout["setting"] is not None:
                set_notify(line, provider, notify=layout["setting"])
            if layout["elsewhere"]:
                set_notify(other, provider)
        for state in ("received", "completed"):
            make_application(
                line, [p for p, layout in pairs if layout["work"] == state], state=state
            )
        make_application(other, [p for p, layout in pairs if layout["elsewhere"]])
        allowed = set(choice(line, direction).values_list("pk", flat=True))
        for provider in providers:  # each on its own
            assert all_in_choice(line, direction, [provider.pk]) is (provider.pk in allowed)
        ids = [providers[i].pk for i in picks]  # and together
        assert all_in_choice(line, direction, ids) is (bool(ids) and set(ids) <= allowed)
        assert not all_in_choice(line, direction, [*ids, NOBODY])
        transaction.set_rollback(True)


def test_many_picks_get_the_answers_few_get(db):
    """The picks gather over screen 3's pages; past psycopg's 50 parameters they go as one array
    on PostgreSQL, with the same answer as an IN list."""
    line = make_line()
    providers = [make_provider() for _ in range(60)]
    picked = [p.pk for p in providers]
    assert all_in_choice(line, Direction.NOTIFY, picked)
    set_notify(line, providers[-1])
    assert not all_in_choice(line, Direction.NOTIFY, picked)
    assert not all_in_choice(line, Direction.STOP, picked)
    assert all_in_choice(line, Direction.STOP, picked[-1:])
    assert not all_in_choice(line, Direction.NOTIFY, [*picked[:-1], NOBODY])


def test_many_picks_of_any_number_run_one_statement_on_postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite prepares nothing across requests")
    line = make_line()
    picked = [make_provider().pk for _ in range(70)]
    with statements_sent() as texts:
        for count in (55, 70):
            assert all_in_choice(line, Direction.NOTIFY, picked[:count])
    assert texts[0] == texts[1]
