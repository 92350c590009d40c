from django.dispatch import Signal

# Sent inside the 工事's transaction once an application's settings are switched (arguments:
# application, now). A receiver writes what must exist if and only if the 工事 commits, such as
# the providers' webhook events (an outbox); if it raises, the 工事 fails and nothing is switched.
settings_switched = Signal()
