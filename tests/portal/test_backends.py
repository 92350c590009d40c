import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import RequestFactory

from tests.conftest import ALICE_KEY
from tests.factories import make_line
from wso_portal.backends import check_access_key, user_with_line
from wso_portal.models import SubscriberLine


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how often a key is hashed."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt).replace("md5$", "counting_md5$", 1)

    def verify(self, password, encoded):
        return super().verify(password, encoded.replace("counting_md5$", "md5$", 1))


@pytest.fixture
def counting(settings):
    settings.PASSWORD_HASHERS = ["tests.portal.test_backends.CountingHasher"]
    return CountingHasher


def hashes_for(counting, flets_number, key):
    counting.calls = 0
    check_access_key(flets_number, key)
    return counting.calls


def test_an_unknown_line_costs_one_hash_like_a_known_one(counting, db):
    line = make_line(access_key="RIGHT123")
    assert hashes_for(counting, line.flets_number, "WRONG123") == 1
    assert hashes_for(counting, line.flets_number, "RIGHT123") == 1
    assert hashes_for(counting, "09999999999", "WRONG123") == 1


def test_an_operator_account_costs_one_hash_too(counting, operator):
    assert hashes_for(counting, operator.username, "OPERATOR") == 1


def request():
    return RequestFactory().post("/login/")


def test_the_portal_backend_authenticates_an_active_line(alice):
    user = authenticate(request(), flets_number=alice.flets_number, access_key=ALICE_KEY)
    assert user == alice.user
    assert authenticate(request(), flets_number=alice.flets_number, access_key="WRNG0000") is None


@pytest.mark.parametrize(
    "status", [SubscriberLine.Status.SUSPENDED, SubscriberLine.Status.CANCELLED]
)
def test_the_portal_backend_refuses_an_inactive_line(db, status):
    line = make_line(status=status, access_key="KEY12345")
    assert authenticate(request(), flets_number=line.flets_number, access_key="KEY12345") is None
    assert check_access_key(line.flets_number, "KEY12345") == line  # the key itself is right


def test_the_staff_backend_takes_operators_only(alice, operator):
    assert authenticate(request(), username=alice.flets_number, password=ALICE_KEY) is None
    assert authenticate(request(), username="operator", password="operator-pass-2026") == operator
    assert authenticate(request(), username="operator", password="wrong") is None


def test_a_line_account_made_staff_still_cannot_use_the_admin_login(alice):
    alice.user.is_staff = True
    alice.user.save()
    assert authenticate(request(), username=alice.flets_number, password=ALICE_KEY) is None


def loaded_values(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def test_the_sessions_user_and_line_load_as_the_orm_loads_them(alice, django_assert_num_queries):
    expected = get_user_model().objects.select_related("line").get(pk=alice.user.pk)
    with django_assert_num_queries(1):
        user = user_with_line(str(alice.user.pk))  # as the session keeps it
        line = user.line
        assert line.user is user
    assert loaded_values(user) == loaded_values(expected)
    assert loaded_values(line) == loaded_values(expected.line)
    assert isinstance(user.is_active, bool) and user.last_login == expected.last_login


def test_an_operator_loads_without_a_line(operator, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = user_with_line(operator.pk)
        assert not hasattr(user, "line")
    assert loaded_values(user) == loaded_values(operator)


@pytest.mark.parametrize("user_id", ["0", "not a number", "99999999"])
def test_an_unknown_or_malformed_user_id_loads_nothing(db, user_id):
    assert user_with_line(user_id) is None
