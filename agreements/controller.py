"""Who holds the お客様ID and what the consent to 回線情報通知 is for: the fixed words of every
consent record (agreements.receipts). Values stay Japanese, as the consent was given in Japanese.

Sources, field by field:
- PII_CONTROLLER_NAME: the 同意書, 「A. 「回線情報通知」提供事業者 西日本電信電話株式会社」.
- PII_CONTROLLER_CONTACT: the manual's footer, 「お問い合わせセンター」.
- PII_CONTROLLER_URL: the manual's フレッツ公式ホームページ (http://flets-w.com/), now served over
  HTTPS.
- PII_CONTROLLER_ADDRESS, PII_CONTROLLER_PHONE, PII_CONTROLLER_EMAIL: neither the manual nor the
  同意書 states them. The address is NTT西日本's registered head office and the phone its
  customer enquiry number (お問い合わせ窓口), both public. NTT西日本 publishes no e-mail address
  for enquiries (they go through web forms), so the e-mail is the portal's own enquiry mailbox
  in the reserved example.jp domain, like DEFAULT_FROM_EMAIL; operations set the real one here.
- The purpose, its category and the PII category: the 同意書, section C (サービス概要), and the
  privacy policy, section 3 (第三者への提供). Category codes are those of the Consent Receipt
  specification's appendices.
"""

CONSENT_RECEIPT_VERSION = "KI-CR-v1.1.0"
JURISDICTION = "JP"
LANGUAGE = "ja"
COLLECTION_METHOD = "サービス申込受付ページ"

PII_CONTROLLER_NAME = "西日本電信電話株式会社"
PII_CONTROLLER_CONTACT = "NTT西日本 お問い合わせセンター"
PII_CONTROLLER_ADDRESS = {
    "streetAddress": "東野田町4丁目15番82号",
    "addressLocality": "大阪市都島区",
    "addressRegion": "大阪府",
    "postalCode": "534-0024",
    "addressCountry": "JP",
}
PII_CONTROLLER_EMAIL = "wso-privacy@example.jp"
PII_CONTROLLER_PHONE = "0120-116-116"
PII_CONTROLLER_URL = "https://flets-w.com/"

# Application.direction as the record says it, in the words of the screens the consent was
# given on (the model's labels follow the active language; the record does not).
SETTING = {"notify": "通知する", "stop": "通知しない"}

SERVICE = "回線情報通知"
PURPOSE = (
    "回線情報通知：お客さまがIPv6を用いてサービス提供者へ接続する際に、"
    "「通知する」に設定したサービス提供者へお客様IDを通知すること"
)
PURPOSE_CATEGORY = ["2 - Contracted Service"]
# The specification's category of the PII, then the PII itself as the 同意書 names it.
PII_CATEGORY = ["5 - Network/Service", "お客様ID"]
CONSENT_TYPE = "EXPLICIT"
TERMINATION = (
    "「通知しない」への変更のお申し込み（工事完了時）、または「フレッツ 光ネクスト」の廃止まで"
)

# consentReceiptID is uuid5(this namespace, the application's submission token): the same id at
# every download, and the token itself is not shown. Never change it.
RECEIPT_ID_NAMESPACE = "6f1b7d2e-3c4a-5b8e-9d0f-1a2b3c4d5e6f"
