"""Words the portal writes into its own tables and shows subscribers as they are: the top page's
services and buttons (wso_portal/migrations/0002_services.py), the ご利用状況 words and the
設定方法 of a setting. They stay Japanese in the database and in the admin; the subscribers'
screens translate them where they show them (`{% translate value %}`), and these markers put
them in the catalogue. Anything else an operator types in is shown as typed."""

from django.utils.translation import gettext_noop

SEEDED = [
    # Services of the top page.
    gettext_noop("フレッツナンバー（通話機能※1）"),
    gettext_noop("回線情報通知機能（※1）"),
    gettext_noop("セキュリティ機能（※1）/ライセンスプラス"),
    gettext_noop("リモートサポートサービス"),
    gettext_noop("フレッツ・セッションプラス"),
    gettext_noop("フレッツ・VPN ワイド"),
    gettext_noop("詳細・変更"),
    gettext_noop("詳細・申込・変更"),
    # ご利用状況 (wso_portal.models.ServiceStatus).
    gettext_noop("利用中"),
    gettext_noop("登録中"),
    gettext_noop("変更中"),
    gettext_noop("廃止中"),
    gettext_noop("未契約"),
    gettext_noop("通知"),
    # 設定方法 of a notification setting.
    gettext_noop("申込受付ページ"),
    gettext_noop("オペレータ設定"),
]
