"""アクセスキー: issued to a line's login account, stored only as the account's password hash."""

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

# Upper-case letters and digits without the look-alikes 0/O, 1/I.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
KEY_LENGTH = 8


def generate_access_key() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(KEY_LENGTH))


def create_line_user(flets_number: str):
    """A new login account for a line; returns (user, access key). The key is not kept anywhere."""
    access_key = generate_access_key()
    user = get_user_model().objects.create_user(username=flets_number, password=access_key)
    return user, access_key


@transaction.atomic
def reset_access_key(line) -> str:
    """Give the line a new access key; the old one stops working at once. Returns the new key."""
    access_key = generate_access_key()
    user = line.user
    user.set_password(access_key)
    user.save(update_fields=["password"])
    return access_key
