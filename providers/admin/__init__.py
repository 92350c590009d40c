"""Operators' admin for providers' API keys, the disclosure log and 即時通知 (webhooks)."""

from . import disclosures, keys, webhooks  # noqa: F401  (each registers its pages)
