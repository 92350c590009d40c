"""Steps through the portal the way a person takes them: by the labels on the screen."""

import pytest

# Every e2e test: a real database, committed, so that the live server's thread sees the data.
E2E = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
KEY = "ABCD2345"  # the e2e `alice` fixture's access key


def heading(page):
    return page.get_by_role("heading", level=1)


def field(page, label: str, *, exact: bool = False):
    """The form control labelled `label` (a section may carry the same words in its name)."""
    return page.get_by_label(label, exact=exact).and_(page.locator("input, select, textarea"))


def log_in(page, line, access_key: str) -> None:
    page.goto("/login/")
    field(page, "フレッツナンバー").fill(line.flets_number)
    field(page, "アクセスキー").fill(access_key)
    page.get_by_role("button", name="ログイン").click()


def open_usage_detail(page) -> None:
    """Top page → 回線情報通知機能's 【詳細・変更】 → screen 2."""
    page.goto("/")
    row = page.get_by_role("row").filter(has_text="回線情報通知機能")
    row.get_by_role("link", name="詳細・変更").or_(
        row.get_by_role("button", name="詳細・変更")
    ).click()


def provider_row(page, provider):
    """A provider's row of a providers table (not of ご利用状況詳細's 工事中のお申し込み, which
    names it too); サービス提供者名 reads 「W0099 NTT西日本(試験用)」."""
    rows = page.get_by_role("row").and_(page.locator("[data-provider]"))
    return rows.filter(has_text=f"{provider.code} {provider.name}")


def tick(page, provider) -> None:
    provider_row(page, provider).get_by_role("checkbox").check()


def fill_applicant(
    page,
    *,
    name: str = "山田太郎",
    phone: str = "090-1234-5678",
    email: str = "taro@example.jp",
    wants_mail: bool = True,
) -> None:
    field(page, "お名前").fill(name)
    field(page, "ご連絡先電話番号").fill(phone)
    field(page, "ご連絡先メールアドレス").fill(email)
    field(page, "希望する" if wants_mail else "希望しない", exact=True).check()


def apply(page, providers, *, to: str, **applicant) -> None:
    """From screen 2 (to="通知しない") or screen 3 (to="通知する") to the receipt."""
    for provider in providers:
        tick(page, provider)
    page.get_by_role("button", name=f"「{to}」に設定").click()
    page.get_by_role("button", name="同意する").click()
    fill_applicant(page, **applicant)
    page.get_by_role("button", name="次へ").click()
    page.get_by_role("button", name="変更").click()
    page.get_by_role("heading", name="回線情報通知 変更受付完了").wait_for()
