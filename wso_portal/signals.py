from django.dispatch import Signal

# Sent by `manage.py demo` once the demo data is in place, with `url` (the site's). A higher app
# adds its own demo rows here and returns the lines it wants printed beside the demo logins.
demo_loaded = Signal()
