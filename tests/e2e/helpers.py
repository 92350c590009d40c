"""Steps through the portal the way a person takes them: by the labels on the screen."""

import pytest

# Every e2e test: a real database that the live server's thread can see, and the services of the
# top page (created by a data migration) restored after each flush.
E2E = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(page, line, access_key: str) -> None:
    page.goto("/login/")
    page.get_by_label("フレッツナンバー").fill(line.flets_number)
    page.get_by_label("アクセスキー").fill(access_key)
    page.get_by_role("button", name="ログイン").click()
