from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DEBUG", True)
# Webhooks to http://127.0.0.1 (the demo's receiver, the tests' servers).
WSO_WEBHOOK_ALLOW_PRIVATE = True
