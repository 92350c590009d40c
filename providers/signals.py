from django.dispatch import Signal

# Sent by the webhook worker, outside its transaction, at an endpoint's first failed attempt of a
# day (Asia/Tokyo) and when it is disabled, with `endpoint`, `attempt` and `disabled`. The
# provider console mails its provider's users and the operators.
endpoint_failing = Signal()
