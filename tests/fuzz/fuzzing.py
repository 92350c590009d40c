"""The fuzz test's parts: hostile values, the ways to send them, the client that counts and
checks every answer, and the catalogue of what each persona can reach (read from the URL
patterns, the admin's registry and the forms the pages really show)."""

import json
import string
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

from django.conf import settings
from django.test import Client
from django.test.client import encode_multipart
from hypothesis import strategies as st

CSRF_SECRET = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"
BOUNDARY = "FuzzBoundary7MA4YWxkTrZu0gW"


# Tally ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    server_errors: int = 0
    by_area: Counter = field(default_factory=Counter)

    def describe(self) -> str:
        return ", ".join(f"{area} {n}" for area, n in sorted(self.by_area.items()))


TALLY = Tally()


class FuzzClient(Client):
    """A browser that CSRF protection lets through (cookie, token and Origin), which raises what
    the handler raises and fails on any 5xx."""

    def __init__(self, area: str):
        super().__init__(
            enforce_csrf_checks=True,
            raise_request_exception=True,
            headers={"Origin": "http://testserver", "X-CSRFToken": CSRF_SECRET},
        )
        self.area = area
        self.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET

    def request(self, **request):
        TALLY.requests += 1
        TALLY.by_area[self.area] += 1
        try:
            response = super().request(**request)
        except Exception:
            TALLY.server_errors += 1
            raise
        if response.status_code >= 500:
            TALLY.server_errors += 1
            body = b"".join(response) if response.streaming else response.content
            raise AssertionError(
                f"{response.status_code} for {request.get('REQUEST_METHOD')} "
                f"{request.get('PATH_INFO')!r}?{request.get('QUERY_STRING')!r}: {body[:500]!r}"
            )
        return response


# Values ---------------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "%00",
    "0",
    "-1",
    "1.5",
    "1e309",
    "-0",
    "NaN",
    "inf",
    "9" * 20,
    "9" * 400,
    str(2**31),
    str(2**63),
    str(-(2**63) - 1),
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "2026-02-30",
    "9999-12-31 23:59:59",
    "0001-01-01 00:00:00",
    "'",
    '"',
    "\\",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "../../etc/passwd",
    "%2e%2e%2f",
    "null",
    "true",
    "[]",
    "{}",
    "__proto__",
    "\u202e",
    "\ufeff",
    "\u3000",
    "𠮷野家",
    "ｶﾞｷﾞ",
    "０６０１２３４５６７８",
    "060-1234-5678",
    "06012345678",
    "ABCD2345",
    "W0099",
    "20261126-000001",
    "taro@example.jp",
    "a" * 300,
    "\r\n",
    "x" * 5000,
]

# Percent-encodings a server passes on as they are.
ODD_ESCAPES = [
    "%",
    "%z",
    "%zz",
    "%FF",
    "%C0%80",
    "%C0%AF",
    "%ED%A0%80",
    "%E3%81",
    "%F4%90%80%80",
    "%25",
    "%2500",
    "%u0000",
    "%0A",
    "%0D%0A",
    "+",
    "&",
    "=",
    ";",
    "%00",
]

CHARSETS = [
    None,
    "utf-8",
    "UTF-8",
    '"utf-8"',
    "utf8",
    "utf-16",
    "utf-32",
    "shift_jis",
    "euc-jp",
    "iso-2022-jp",
    "iso-8859-1",
    "bogus",
    "",
]

long_text = st.builds(
    lambda c, n: c * n, st.characters(codec="utf-8"), st.integers(min_value=256, max_value=20_000)
)
values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),  # any Unicode but surrogates, NUL included
    st.text(alphabet=string.digits + "-_.:T /+", max_size=25),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    long_text,
)


@st.composite
def encoded(draw, value: str) -> str:
    """The value as it may appear in a URL: percent-encoded UTF-8, raw UTF-8 bytes (what a
    server hands over for unencoded bytes), or with an odd escape."""
    how = draw(st.sampled_from(["quote", "quote", "quote", "raw", "odd"]))
    if how == "raw":
        return value.encode("utf-8").decode("latin-1")
    text = quote(value, safe="")
    if how == "odd":
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(st.sampled_from(ODD_ESCAPES)) + text[at:]
    return text


@st.composite
def query_string(draw, names: list[str], base: dict | None = None) -> str:
    """Some of the known parameters (and now and then an unknown one), mostly hostile values."""
    base = base or {}
    chosen = draw(st.lists(st.sampled_from(names), max_size=4)) if names else []
    if draw(st.integers(0, 9)) == 0:
        chosen.append(draw(st.text(max_size=12)))
    pairs = [(n, v) for n, v in base.items() if n not in chosen]
    for name in chosen:
        pairs.append((name, draw(values)))
    parts = [f"{draw(encoded(n))}={draw(encoded(v))}" for n, v in pairs]
    return "&".join(parts)


@st.composite
def form_data(draw, fields: dict[str, list[str]], extra: list[str] = ()) -> dict:
    """The form as the page fills it in, with one to three fields hostile or missing."""
    data = {name: list(vals) for name, vals in fields.items()}
    names = sorted(set(fields) | set(extra))
    if not names:
        names = ["field"]
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)):
        kind = draw(st.sampled_from(["value", "value", "value", "values", "drop"]))
        if kind == "drop":
            data.pop(name, None)
        elif kind == "values":
            data[name] = draw(st.lists(values, max_size=4))
        else:
            data[name] = [draw(values)]
    return data


@st.composite
def body(draw, data: dict) -> tuple[bytes, str]:
    """(bytes, Content-Type): the form in one of the encodings a client may choose."""
    kind = draw(
        st.sampled_from(["urlencoded", "urlencoded", "multipart", "multipart", "json", "junk"])
    )
    charset = draw(st.sampled_from(CHARSETS))
    suffix = f"; charset={charset}" if charset is not None else ""
    if kind == "urlencoded":
        pairs = [(n, v) for n, vals in data.items() for v in vals]
        raw = "&".join(f"{draw(encoded(n))}={draw(encoded(v))}" for n, v in pairs)
        return raw.encode("latin-1", "replace"), "application/x-www-form-urlencoded" + suffix
    if kind == "multipart":
        if draw(st.booleans()):
            return (
                encode_multipart(BOUNDARY, {n: v for n, v in data.items()}),
                f"multipart/form-data; boundary={BOUNDARY}{suffix}",
            )
        broken = draw(st.sampled_from(["", "x", BOUNDARY, "a" * 300]))
        return draw(st.binary(max_size=300)), f"multipart/form-data; boundary={broken}{suffix}"
    if kind == "json":
        return json.dumps(data, ensure_ascii=False).encode(), "application/json" + suffix
    return draw(st.binary(max_size=300)), draw(
        st.sampled_from(["text/plain", "", "application/octet-stream", "application/xml"])
    )


HEADERS = [
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_REFERER",
    "HTTP_USER_AGENT",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_ACCEPT",
    "HTTP_X_REQUESTED_WITH",
]


@st.composite
def headers(draw) -> dict:
    """Request headers, as a WSGI server hands them over (latin-1 text)."""
    chosen = draw(st.lists(st.sampled_from(HEADERS), max_size=2, unique=True))
    return {
        name: draw(values).encode("utf-8").decode("latin-1").replace("\x00", "")[:8000]
        for name in chosen
    }


@st.composite
def path_variant(draw, path: str) -> str:
    """The path as it is, or with one segment replaced by a hostile one (percent-encoded)."""
    if draw(st.integers(0, 2)) > 0:
        return path
    segments = [segment for segment in path.split("/") if segment]
    at = draw(st.integers(min_value=0, max_value=len(segments)))
    segment = draw(encoded(draw(values))).replace("/", "%2F") or "%20"
    if at == len(segments):
        segments.append(segment)
    else:
        segments[at] = segment
    return "/" + "/".join(segments) + "/"


def send(
    draw, client: FuzzClient, method: str, path: str, *, names=(), fields=None, extra=(), query=None
):
    """One request: the method, the (maybe changed) path, a query string and, for a POST-like
    method, a form body."""
    path = draw(path_variant(path))
    environ = {"QUERY_STRING": draw(query_string(list(names), query)), **draw(headers())}
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        data = draw(form_data(fields or {}, extra))
        data.setdefault("csrfmiddlewaretoken", [CSRF_SECRET])
        raw, content_type = draw(body(data))
        return client.generic(
            method,
            path,
            raw,
            content_type="application/octet-stream",
            CONTENT_TYPE=content_type,
            **environ,
        )
    return client.generic(method, path, **environ)


# What a page offers ----------------------------------------------------------------------------


class _Fields(HTMLParser):
    """The names and default values of a page's form fields, and the query parameters of its
    links."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self.params: set[str] = set()
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "a" and a.get("href"):
            self.params.update(k for k, _ in parse_qsl(urlsplit(a["href"]).query, True))
        if not name:
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            self.fields.setdefault(name, [])
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[name].append(a.get("value") or "on")
            elif kind not in ("submit", "button", "image", "file"):
                self.fields[name].append(a.get("value") or "")
        elif tag == "textarea":
            self.fields.setdefault(name, [""])
        elif tag == "select":
            self._select = name
            self.fields.setdefault(name, [])
        elif tag == "button" and a.get("value"):
            self.fields.setdefault(name, [a["value"]])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def page_fields(client: FuzzClient, path: str) -> tuple[dict[str, list[str]], set[str]]:
    response = client.get(path)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return {}, set()
    parser = _Fields()
    parser.feed(response.content.decode())
    return parser.fields, parser.params


@dataclass
class Target:
    """A page (or API operation) with its methods, query parameters and form fields."""

    path: str
    methods: tuple[str, ...] = ("GET",)
    names: tuple[str, ...] = ()
    fields: dict = field(default_factory=dict)
    extra: tuple[str, ...] = ()
    query: dict = field(default_factory=dict)  # parameters every request carries
    step: str | None = None  # a flow step: the flow is walked to it first

    @classmethod
    def read(cls, client, path, methods=("GET", "POST"), names=(), extra=(), step=None):
        fields, params = page_fields(client, path)
        return cls(
            path=path,
            methods=methods,
            names=tuple(sorted(params | set(names))),
            fields=fields,
            extra=tuple(extra),
            step=step,
        )
