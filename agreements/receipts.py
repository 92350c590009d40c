"""The record of the consent given with an application, as a Consent Receipt (Kantara Initiative
Consent Receipt Specification v1.1, the fields ISO/IEC 29184 asks a notice and its consent to
keep), downloaded from the receipt as JSON.

The specification's fields come first. Two extension members follow, which the specification
allows beside its own: `agreement` (the version agreed to, with a SHA-256 of its exact text as
stored, so the text at `textUrl` can be checked against the record) and `application` (the
受付番号 and each provider with the setting applied for, 通知する or 通知しない).
Each provider is a purpose of its own, disclosed to as a third party (thirdPartyName).
"""

import hashlib
import uuid
from collections.abc import Iterable

from django.utils import timezone

from . import controller


def text_sha256(version) -> str:
    """SHA-256 of the 同意書's text exactly as stored, in UTF-8, as lowercase hex."""
    return hashlib.sha256(version.body.encode("utf-8")).hexdigest()


def receipt_id(application) -> str:
    """The same id at every download of the application's record."""
    namespace = uuid.UUID(controller.RECEIPT_ID_NAMESPACE)
    return str(uuid.uuid5(namespace, str(application.submission_token)))


def _local(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _provider_label(provider) -> str:
    return f"{provider.code} {provider.name}"


def consent_receipt(application, items: Iterable, *, policy_url: str, text_url: str) -> dict:
    """The record of `application` (with its agreement_version and line), whose items carry
    their providers. `policy_url` and `text_url` are absolute URLs of the version's text."""
    version = application.agreement_version
    providers = [item.provider for item in items]
    setting = controller.SETTING[application.direction]
    purpose = {
        "purpose": controller.PURPOSE,
        "purposeCategory": list(controller.PURPOSE_CATEGORY),
        "consentType": controller.CONSENT_TYPE,
        "piiCategory": list(controller.PII_CATEGORY),
        "primaryPurpose": True,
        "termination": controller.TERMINATION,
    }
    # What is consented to is the 同意書's purpose: telling the named provider (a third party)
    # the お客様ID. That holds for an application to 通知しない too, whose consent covers the
    # disclosure it ends; what was applied for is the `application` member's. One purpose for
    # each provider, naming it.
    purposes = [
        {**purpose, "thirdPartyDisclosure": True, "thirdPartyName": _provider_label(p)}
        for p in providers
    ] or [{**purpose, "thirdPartyDisclosure": False}]
    return {
        "version": controller.CONSENT_RECEIPT_VERSION,
        "jurisdiction": controller.JURISDICTION,
        "consentTimestamp": int(application.agreed_at.timestamp()),
        "collectionMethod": controller.COLLECTION_METHOD,
        "consentReceiptID": receipt_id(application),
        "language": controller.LANGUAGE,
        "piiPrincipalId": application.line.customer_id,
        "piiControllers": [
            {
                "piiController": controller.PII_CONTROLLER_NAME,
                "onBehalf": False,
                "contact": controller.PII_CONTROLLER_CONTACT,
                "address": dict(controller.PII_CONTROLLER_ADDRESS),
                "email": controller.PII_CONTROLLER_EMAIL,
                "phone": controller.PII_CONTROLLER_PHONE,
                "piiControllerUrl": controller.PII_CONTROLLER_URL,
            }
        ],
        "policyUrl": policy_url,
        "services": [{"service": controller.SERVICE, "purposes": purposes}],
        "sensitive": False,
        "agreement": {
            "version": version.version,
            "title": version.title,
            "effectiveFrom": _local(version.effective_from),
            "agreedAt": _local(application.agreed_at),
            "textSha256": text_sha256(version),
            "textUrl": text_url,
        },
        "application": {
            "receiptNumber": application.receipt_number,
            "receivedAt": _local(application.received_at),
            "direction": setting,
            "providers": [
                {
                    "code": p.code,
                    "name": p.name,
                    "serviceName": p.service_name,
                    "notificationSetting": setting,
                }
                for p in providers
            ],
        },
    }
