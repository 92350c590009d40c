"""gunicorn's settings for every way the portal is served: scripts/start-web (and so the image)
and make bench name it; gunicorn started by hand in this directory reads it too.

gunicorn takes nothing from forwarded headers. It would set the scheme itself from
X-Forwarded-Proto, X-Forwarded-Ssl or X-Forwarded-Protocol sent by any peer in its own allow list,
which TrustedProxyMiddleware never sees: a client on that list could then pass for HTTPS. Which
peers are our proxies is WSO_TRUSTED_PROXIES alone, applied by the middleware.
"""

forwarded_allow_ips = ""
secure_scheme_headers = {}
# SCRIPT_NAME and PATH_INFO as headers, which gunicorn takes from the same peers.
forwarder_headers = ""
