"""No input gives a server error. Hypothesis sends hostile values (NUL, any Unicode but
surrogates, huge numbers, odd percent-encodings, long strings, other charsets) to every form
field, path segment and query parameter of the portal (logged out, and as a subscriber with
started flows), the admin (as a superuser), the 事業者ポータル (as a provider user) and the
providers' API. Every answer must be below 500, and nothing may be raised out of the handler.

WSO_FUZZ_REQUESTS sets how many requests the run sends: 2,000 by default, `make fuzz` more.
"""

import itertools
import json

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.urls import URLPattern
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from notification import flow as flows
from notification.models import Direction
from tests.factories import (
    make_agreement,
    make_application,
    make_disclosure,
    make_key,
    make_line,
    make_provider,
    set_notify,
)
from tests.notification.flow_helpers import agree, fill_applicant, start_notify, start_stop

from .fuzzing import FuzzClient, Target, encoded, send, values

# Shares of the run's requests.
SHARES = {"portal": 0.15, "subscriber": 0.3, "admin": 0.3, "console": 0.1, "api": 0.15}


def run(targets: list[Target], examples: int, each):
    """`examples` requests, each to a target drawn from the list; `each(data, target)` sends it."""

    @settings(
        max_examples=max(examples, 1),
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def fuzz(data):
        target = data.draw(st.sampled_from(targets), label="target")
        each(data, target)

    fuzz()


def fill_ids(draw, target: Target, ids: list[str]) -> Target:
    """A path's object id: a real one, or anything at all."""
    if "{id}" not in target.path:
        return target
    value = draw(st.one_of(st.sampled_from(ids or ["1"]), values))
    segment = draw(encoded(value)).replace("/", "%2F") or "%20"
    return Target(
        path=target.path.replace("{id}", segment),
        methods=target.methods,
        names=target.names,
        fields=target.fields,
        extra=target.extra,
        query=target.query,
    )


def fire(data, client: FuzzClient, target: Target, ids=()):
    target = fill_ids(data.draw, target, list(ids))
    method = data.draw(
        st.one_of(
            st.sampled_from(target.methods),
            st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        )
        if data.draw(st.integers(0, 9)) == 0
        else st.sampled_from(target.methods),
        label="method",
    )
    return send(
        data.draw,
        client,
        method,
        target.path,
        names=target.names,
        fields=target.fields,
        extra=target.extra,
        query=target.query,
    )


# The portal, logged out ------------------------------------------------------------------------


def test_the_portal_logged_out_never_answers_5xx(db, fuzz_requests, alice):
    provider = make_provider()
    application = make_application(alice, [provider])
    client = FuzzClient("portal")
    targets = [
        Target.read(client, "/login/", names=["next"]),
        Target.read(client, "/admin/login/", names=["next"]),
        Target("/logout/", methods=("POST",)),
        Target("/", names=("page",)),
        Target("/privacy/"),
        Target("/services/{id}/"),
        Target("/notification/", methods=("GET", "POST"), extra=("action", "provider")),
        Target(f"/notification/applications/{application.receipt_number}/"),
        Target("/notification/flow/{id}/consent/", methods=("GET", "POST")),
        Target("/disclosures/", names=("page",)),
        Target(f"/disclosures/providers/{provider.code}/csv/"),
        Target("/admin/", names=("next",)),
        Target("/api/v1/docs"),
    ]
    run(
        targets,
        int(fuzz_requests * SHARES["portal"]),
        lambda data, target: fire(data, client, target, ids=["top", "x"]),
    )


# The portal, as a subscriber with flows under way -----------------------------------------------


def test_the_portal_as_a_subscriber_never_answers_5xx(db, fuzz_requests, alice):
    agreement = make_agreement()
    notifying = make_provider()
    set_notify(alice, notifying)
    application = make_application(alice, [notifying], agreement=agreement)
    make_disclosure(alice, notifying)
    client = FuzzClient("subscriber")
    client.force_login(alice.user)

    def flow_to(step: str) -> str:
        """A flow walked, through the screens, up to `step`; a new provider keeps it choosable."""
        provider = make_provider()
        if step == "register":
            return start_notify(client)
        if next(directions) == Direction.STOP:
            set_notify(alice, provider)
            flow_id = start_stop(client, provider)
        else:
            flow_id = start_notify(client, provider)
        if step in ("applicant", "confirm"):
            agree(client, flow_id, agreement)
        if step == "confirm":
            fill_applicant(client, flow_id)
        return flow_id

    directions = itertools.cycle([Direction.STOP, Direction.NOTIFY])

    first = flow_to("confirm")
    steps = {}
    for step in ("register", "consent", "applicant", "confirm"):
        flow_id = first if step != "register" else flow_to("register")
        steps[step] = Target.read(
            client,
            f"/notification/flow/{flow_id}/{step}/",
            names=["page"],
            extra=["action", "provider", "shown", "goto", "page", "version"],
        )
    pages = [
        Target.read(client, "/", names=["page"]),
        Target.read(client, "/notification/", extra=["action", "provider"]),
        Target.read(client, f"/notification/applications/{application.receipt_number}/"),
        Target("/notification/applications/{id}/"),
        Target.read(client, "/notification/history/", names=["page"]),
        Target.read(client, "/disclosures/", names=["page"]),
        Target("/disclosures/csv/"),
        Target.read(client, f"/disclosures/providers/{notifying.code}/", names=["page"]),
        Target(f"/disclosures/providers/{notifying.code}/csv/"),
        Target("/disclosures/providers/{id}/"),
        Target("/services/{id}/"),
        Target.read(client, "/privacy/"),
        Target("/logout/", methods=("POST",)),
        Target("/notification/flow/{id}/applicant/", methods=("GET", "POST")),
    ]
    targets = pages + list(steps.values())
    ids = [application.receipt_number, notifying.code, "20261126-000000"]

    open_flows: dict[str, str] = {}

    def still_open(flow_id: str, step: str) -> bool:
        """The flow is still in the session and may show the step (a fuzzed request may have
        submitted it, dropped it or moved it on)."""
        data = client.session.get(flows.SESSION_KEY, {}).get(flow_id)
        step = "select" if step == "register" else step
        return data is not None and flows.Flow(id=flow_id, data=data).can_show(step)

    def each(data, target: Target):
        if target.step is not None:
            flow_id = open_flows.get(target.step)
            if flow_id is None or not still_open(flow_id, target.step):
                flow_id = open_flows[target.step] = flow_to(target.step)
            target = Target(
                path=f"/notification/flow/{flow_id}/{target.step}/",
                methods=target.methods,
                names=target.names,
                fields=target.fields,
                extra=target.extra,
            )
        fire(data, client, target, ids=ids)
        if "_auth_user_id" not in client.session:  # the fuzz logged out
            client.force_login(alice.user)

    for step, target in steps.items():
        target.step = step
    run(targets, int(fuzz_requests * SHARES["subscriber"]), each)


# The admin, as a superuser ---------------------------------------------------------------------

STANDARD_VIEWS = ("changelist", "add", "change", "delete", "history", "autocomplete")


def admin_targets(client: FuzzClient, keep_out: set) -> tuple[list[Target], dict]:
    """Every registered model's list (with its filter, search, ordering, paging and date
    parameters), add, change, delete and history pages, its actions and custom views, every
    autocomplete, and the site's own pages. Returns the targets and each path's real ids."""
    targets = [
        Target.read(client, "/admin/"),
        Target("/admin/{id}/"),
        Target.read(client, "/admin/password_change/"),
        Target("/admin/logout/", methods=("POST",)),
        Target("/admin/jsi18n/"),
        Target("/admin/r/{id}/{id}/"),
    ]
    ids: dict[str, list[str]] = {}
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        real = [
            quote(str(pk))
            for pk in model._default_manager.values_list("pk", flat=True)[:3]
            if (opts.label_lower, pk) not in keep_out
        ]
        listing = Target.read(client, base, methods=("GET",), names=_changelist_names(model_admin))
        targets += [listing, Target.read(client, base + "add/", names=["_popup", "_to_field"])]
        change = base + (real[0] if real else "1") + "/change/"
        for page in (Target.read(client, change), Target(base + "{id}/change/")):
            targets.append(page)
        targets += [
            Target(base + "{id}/delete/", methods=("GET", "POST"), extra=("post",)),
            Target(base + "{id}/history/"),
            Target(base + "{id}/"),
        ]
        actions = list(model_admin.get_actions(_request(client)))
        if actions:
            targets.append(
                Target(
                    base,
                    methods=("POST",),
                    names=tuple(listing.names),
                    fields={
                        "action": actions[:1],
                        "_selected_action": real[:2],
                        "index": ["0"],
                        "select_across": ["0"],
                        "post": ["yes"],
                        "confirm": ["yes"],
                    },
                    extra=("action",),
                )
            )
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern) or (pattern.name or "").endswith(
                tuple(f"_{view}" for view in STANDARD_VIEWS)
            ):
                continue
            route = str(pattern.pattern).lstrip("^").rstrip("$")
            if "<" in route:
                route = "{id}/" + route.split(">/", 1)[-1]
                targets.append(Target(base + route, methods=("GET", "POST")))
        for field_name in model_admin.autocomplete_fields:
            targets.append(
                Target(
                    "/admin/autocomplete/",
                    names=("term", "page", "app_label", "model_name", "field_name"),
                    query={
                        "app_label": opts.app_label,
                        "model_name": opts.model_name,
                        "field_name": field_name,
                        "term": "0",
                    },
                )
            )
        for target in targets:
            if target.path.startswith(base):
                ids[target.path] = real
    return targets, ids


def _changelist_names(model_admin) -> list[str]:
    names = ["q", "o", "p", "all", "e", "_facets", "_popup", "_to_field", "_changelist_filters"]
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return names


def _request(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return request


def test_the_admin_never_answers_5xx(db, fuzz_requests, operator, alice, bob):
    User = get_user_model()
    agreement = make_agreement()
    provider = make_provider()
    set_notify(alice, provider)
    make_application(alice, [provider], agreement=agreement)
    make_application(bob, [provider], agreement=agreement, state="completed")
    make_disclosure(alice, provider)
    make_line()
    client = FuzzClient("admin")
    client.force_login(operator)
    keep_out = {("auth.user", operator.pk)}
    targets, ids = admin_targets(client, keep_out)

    def each(data, target: Target):
        fire(data, client, target, ids=ids.get(target.path, []))
        user = User.objects.filter(username="operator").first()
        if user is None or not (user.is_active and user.is_staff and user.is_superuser):
            user = user or User(username="operator", email="ops@example.jp")
            user.is_active = user.is_staff = user.is_superuser = True
            user.set_password("operator-pass-2026")
            user.save()
        if client.session.get("_auth_user_id") != str(user.pk):
            client.force_login(user)

    run(targets, int(fuzz_requests * SHARES["admin"]), each)


# The 事業者ポータル, as a provider user -------------------------------------------------------


def test_the_console_never_answers_5xx(db, fuzz_requests, alice):
    from console.services import create_provider_user
    from providers.webhooks import register_endpoint

    provider, other = make_provider(), make_provider()
    set_notify(alice, provider)
    make_disclosure(alice, provider)
    key = make_key(provider)[0]
    others_key = make_key(other)[0]
    register_endpoint(provider, "http://127.0.0.1:9/wso")  # nothing listens: refused at once
    user = create_provider_user(provider, "fuzz@example.jp").user
    client = FuzzClient("console")
    client.force_login(user, backend="console.backends.ProviderUserBackend")
    # The endpoint's own form is left out: a URL that looks real is resolved (the SSRF check).
    targets = [
        Target.read(client, "/provider/", methods=("GET",)),
        Target.read(client, "/provider/keys/"),
        Target("/provider/keys/issue/", methods=("POST",)),
        Target("/provider/keys/{id}/revoke/", methods=("GET", "POST"), extra=("confirm",)),
        Target.read(client, "/provider/endpoint/", methods=("GET",)),
        Target("/provider/endpoint/rotate/", methods=("POST",)),
        Target("/provider/endpoint/test/", methods=("POST",)),
        Target("/provider/endpoint/resume/", methods=("POST",)),
        Target.read(client, "/provider/events/", methods=("GET",), names=["page"]),
        Target("/provider/events/{id}/"),
        Target("/provider/events/{id}/redeliver/", methods=("POST",)),
        Target("/provider/events/resend-failed/", methods=("POST",), extra=("since",)),
        Target.read(client, "/provider/disclosures/", methods=("GET",), names=["after", "page"]),
        Target("/provider/disclosures/csv/"),
        Target.read(client, "/provider/docs/", methods=("GET",)),
        Target.read(client, "/provider/login/", extra=("email", "password", "otp_token")),
    ]
    ids = [str(key.pk), str(others_key.pk), "0"]

    def each(data, target: Target):
        fire(data, client, target, ids=ids)
        if "_auth_user_id" not in client.session:  # the fuzz logged out
            client.force_login(user, backend="console.backends.ProviderUserBackend")

    run(targets, int(fuzz_requests * SHARES["console"]), each)


# The providers' API ----------------------------------------------------------------------------

ipv6 = st.one_of(
    st.ip_addresses(v=6).map(str),
    st.ip_addresses(v=4).map(str),
    st.sampled_from(
        ["2001:db8:4001::1", "::", "::1", "fe80::1%eth0", "2001:db8::/64", "::ffff:1.2.3.4"]
    ),
    values,
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), values),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(values, inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def api_body(draw) -> bytes:
    kind = draw(st.sampled_from(["good", "good", "list", "json", "junk", "empty"]))
    if kind == "good":
        payload = {"addresses": draw(st.lists(ipv6, min_size=0, max_size=102))}
        if draw(st.integers(0, 4)) == 0:
            payload[draw(values)] = draw(json_values)
        return json.dumps(payload, ensure_ascii=draw(st.booleans())).encode()
    if kind == "list":
        return json.dumps({"addresses": draw(json_values)}).encode()
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "junk":
        return draw(st.binary(max_size=400))
    return b""


def test_the_api_never_answers_5xx(db, fuzz_requests, alice):
    provider = make_provider()
    set_notify(alice, provider)
    _, plain = make_key(provider)
    client = FuzzClient("api")
    paths = ["/api/v1/lookups", "/api/v1/lookups/", "/api/v1/openapi.json", "/api/v1/docs"]

    def each(data, target: Target):
        draw = data.draw
        method = draw(st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "HEAD"]))
        auth = draw(
            st.sampled_from(
                [f"Bearer {plain}"] * 3 + ["", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer x"]
            )
        )
        if draw(st.integers(0, 5)) == 0:
            auth = f"Bearer {draw(values)}".encode().decode("latin-1").replace("\x00", "")
        content_type = draw(
            st.sampled_from(
                [
                    "application/json",
                    "application/json",
                    "application/json; charset=utf-8",
                    "application/json; charset=utf-16",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x",
                    "text/plain",
                    "",
                ]
            )
        )
        environ = {"CONTENT_TYPE": content_type, "QUERY_STRING": draw(encoded(draw(values)))}
        if auth:
            environ["HTTP_AUTHORIZATION"] = auth
        client.generic(
            method,
            target.path,
            draw(api_body()),
            content_type="application/octet-stream",
            **environ,
        )

    run(
        [Target(path) for path in paths],
        int(fuzz_requests * SHARES["api"]),
        each,
    )


@pytest.fixture(autouse=True)
def _quiet_security_log(caplog):
    """Refused requests log warnings by design; the fuzz sends thousands of them."""
    caplog.set_level("CRITICAL", logger="django.security")
    caplog.set_level("CRITICAL", logger="django.request")
