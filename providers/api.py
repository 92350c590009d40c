"""The providers' API (/api/v1/): who is at an IPv6 address, for a provider the line allows.

django-ninja validates the body with pydantic and writes the OpenAPI 3.1 document from the same
types. Every error is application/problem+json (RFC 9457) with a Japanese `detail`.
"""

from functools import wraps
from http import HTTPStatus
from typing import Annotated

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, NinjaAPI, Router, Schema, Swagger
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema

from ops import metrics
from wso_portal import rates
from wso_portal.problems import PROBLEM, problem

from .api_docs import TAG_LOOKUPS, TAGS, WEBHOOK_SCHEMAS, api_description, openapi_webhooks
from .models import ProviderKey
from .services import AskedAddress, authenticate, look_up, lookups_tally

MAX_ADDRESSES = 100
MAX_BODY_BYTES = 64 * 1024

MESSAGES = {
    "no_key": "Authorization ヘッダーがありません。"
    "「Authorization: Bearer <APIキー>」を付けて送ってください。",
    "unauthorized": "APIキーが正しくないか、失効しています。",
    "inactive": "このサービス提供者は現在、回線情報通知を利用できません。",
    "too_large": "リクエストの本文が64KiBを超えています。",
    "length_required": "このサーバーでは Transfer-Encoding: chunked の本文を読み取れません。"
    "Content-Length を付けて送ってください。",
    "throttled": "リクエストが多すぎます。Retry-After の秒数だけ待ってから送り直してください。",
    "not_allowed": "このURLで使えるメソッドは {methods} だけです。",
    "not_found": "このURLはありません。照会のURLは /api/v1/lookups です。",
    "not_json": "リクエストの本文をJSONとして読み取れません。",
    "not_object": 'リクエストの本文は {"addresses": [...]} の形のJSONオブジェクトにしてください。',
    "missing": "addresses を指定してください。",
    "unknown_field": "「{field}」は使えない項目です。指定できるのは addresses だけです。",
    "empty": "addresses には1件以上のアドレスを指定してください。",
    "too_many": f"addresses に指定できるアドレスは{MAX_ADDRESSES}件までです。",
    "not_list": "addresses はIPv6アドレス (文字列) の配列にしてください。",
    "not_ipv6": "addresses[{index}] はIPv6アドレスではありません。",
}


# Schemas ---------------------------------------------------------------------------------------


def _ipv6(text: str) -> AskedAddress:
    if "%" in text:  # a zone index names an interface of the sender, not an NGN address
        raise ValueError("not_ipv6")
    try:
        return AskedAddress.parse(text)
    except ValueError:
        raise ValueError("not_ipv6") from None


IPv6Text = Annotated[
    str, AfterValidator(_ipv6), WithJsonSchema({"type": "string", "format": "ipv6"})
]


EXAMPLE_ADDRESSES = ["2001:db8:100::1", "2001:db8:8000:100::1"]


class LookupRequest(BaseModel):
    # pydantic's own model: ninja's Schema validates a model that forbids extra fields twice.
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"addresses": EXAMPLE_ADDRESSES}]},
    )

    addresses: list[IPv6Text] = Field(
        ...,
        min_length=1,
        max_length=MAX_ADDRESSES,
        description="照会するIPv6アドレス (1件から100件)。",
        examples=[["2001:db8:100::1"]],
    )


class LookupResult(Schema):
    address: str = Field(..., description="照会されたアドレス (送られたとおり)。")
    notified: bool = Field(
        ...,
        description="true: 回線がこのサービス提供者に「通知する」と設定している。"
        "false: それ以外のすべての場合 (回線がない場合を含め、理由は区別しません)。",
    )
    customer_id: str | None = Field(
        ..., description="お客様ID (notified が true のときだけ。それ以外は null)。"
    )


class LookupResponse(Schema):
    results: list[LookupResult] = Field(..., description="addresses と同じ順の照会結果。")


class Problem(Schema):
    type: str = Field(..., description="常に about:blank。")
    title: str = Field(..., description="HTTPステータスの名前。")
    status: int
    detail: str = Field(..., description="日本語の説明。")
    errors: list[dict] | None = Field(None, description="入力の誤り (400 のとき)。")


def _problem_response(
    description: str, *, headers: dict | None = None, examples: dict | None = None
) -> dict:
    content = {"schema": {"$ref": "#/components/schemas/Problem"}}
    if examples:
        content["examples"] = {name: {"value": value} for name, value in examples.items()}
    response = {"description": description, "content": {PROBLEM: content}}
    if headers:
        response["headers"] = headers
    return response


def _example_problem(status: int, detail: str, **extra) -> dict:
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }


NOT_IPV6_EXAMPLE = MESSAGES["not_ipv6"].format(index=1)

# Integer keys, as ninja's own: "200" beside 200 would be two keys in the JSON document.
RESPONSES = {
    200: {
        "description": "照会結果 (addresses と同じ順) / The results, in the order sent",
        "headers": {"Cache-Control": {"schema": {"type": "string"}, "description": "no-store"}},
        "content": {
            "application/json": {
                "example": {
                    "results": [
                        {
                            "address": EXAMPLE_ADDRESSES[0],
                            "notified": True,
                            "customer_id": "CAF0123456789",
                        },
                        {"address": EXAMPLE_ADDRESSES[1], "notified": False, "customer_id": None},
                    ]
                }
            }
        },
    },
    400: _problem_response(
        "本文の誤り (JSONでない、未知の項目、0件または101件以上、IPv6でない)。"
        "errors の pointer が本文の位置 (RFC 6901) を指します。"
        " / A bad body; each of errors points into it (RFC 6901)",
        examples={
            "not_ipv6": _example_problem(
                400,
                NOT_IPV6_EXAMPLE,
                errors=[{"pointer": "#/addresses/1", "detail": NOT_IPV6_EXAMPLE}],
            ),
            "unknown_field": _example_problem(
                400,
                MESSAGES["unknown_field"].format(field="address"),
                errors=[
                    {
                        "pointer": "#/address",
                        "detail": MESSAGES["unknown_field"].format(field="address"),
                    }
                ],
            ),
        },
    ),
    401: _problem_response(
        "Authorization ヘッダーがない、またはAPIキーが正しくない・失効している"
        " / No Authorization header, or a wrong or revoked key",
        headers={"WWW-Authenticate": {"schema": {"type": "string"}}},
        examples={
            "no_key": _example_problem(401, MESSAGES["no_key"]),
            "unauthorized": _example_problem(401, MESSAGES["unauthorized"]),
        },
    ),
    403: _problem_response("サービス提供者が無効"),
    405: _problem_response(
        "POST 以外のメソッド", headers={"Allow": {"schema": {"type": "string"}}}
    ),
    411: _problem_response("chunked の本文を読み取れないサーバー (本番の gunicorn は読み取る)"),
    413: _problem_response("本文が64KiBを超えている"),
    429: _problem_response(
        "APIキーごとの毎秒のリクエスト数を超えた / Over the requests per second of the key",
        headers={
            "Retry-After": {
                "schema": {"type": "integer"},
                "description": "送り直すまで待つ秒数 / Seconds to wait before sending again",
            }
        },
        examples={"throttled": _example_problem(429, MESSAGES["throttled"])},
    ),
}


# Authentication, rate, size --------------------------------------------------------------------


class ProviderKeyAuth(HttpBearer):
    openapi_description = "サービス提供者のAPIキー (wso_ で始まる)。"

    def authenticate(self, request: HttpRequest, token: str) -> ProviderKey | None:
        key = authenticate(token)
        if key is not None and not key.provider.active:
            raise AuthorizationError()
        return key


class PerKeyRate(BaseThrottle):
    """WSO_API_RATE_LIMIT requests per second per key, counted in the shared cache."""

    def allow_request(self, request: HttpRequest) -> bool:
        tally = lookups_tally(request.auth.provider_id, timezone.localdate())
        usage = rates.count_in_window(
            group="providers.lookups",
            key=str(request.auth.pk),
            limit=settings.WSO_API_RATE_LIMIT,
            seconds=1,
            tally=tally,
        )
        self.time_left = usage.seconds_left if usage else 1
        if usage is not None and usage.should_limit:
            rates.untally(tally)
            metrics.RATE_LIMITED.labels(request.auth.provider.code).inc()
            return False
        return True

    def wait(self) -> float:
        return self.time_left


def limit_body(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            # Django reads as many bytes as CONTENT_LENGTH says, and a chunked body has none: it
            # is read here, into the attribute request.body returns. It can be read to its end
            # only where the server has taken the chunks apart and ends the input with the body
            # (wsgi.input_terminated: gunicorn; not runserver).
            if not request.META.get("wsgi.input_terminated"):
                return problem(411, MESSAGES["length_required"])
            request._body = request.META["wsgi.input"].read(MAX_BODY_BYTES + 1)
            length = len(request._body)
        else:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
        if length > MAX_BODY_BYTES:
            return problem(413, MESSAGES["too_large"])
        return view(request, *args, **kwargs)

    return checked


# The API ---------------------------------------------------------------------------------------


class ProviderAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """The error responses are problem+json, which ninja's response types cannot say; their
        schema is added here, generated from the same Problem type. So are what ninja has no
        words for: the tags' descriptions and the 即時通知 sent to providers (webhooks)."""
        schema = super().get_openapi_schema(**kwargs)
        schema["components"]["schemas"]["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        schema["info"]["description"] = api_description()  # the rate as configured now
        schema["tags"] = TAGS
        schema["webhooks"] = openapi_webhooks()
        schema["components"]["schemas"].update(WEBHOOK_SCHEMAS)
        return schema

    @property
    def urls(self):
        """ninja answers a method that no operation of a path takes with a text/html 405 of its
        own, and has no hook for it: each view is wrapped to answer it as a problem."""
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = _not_allowed_as_problem(pattern.callback)
        return patterns, app_name, namespace


def _not_allowed_as_problem(view):
    @wraps(view)
    def answered(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return problem(405, MESSAGES["not_allowed"].format(methods=allowed), Allow=allowed)
        return response

    return answered


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Every other path under /api/ (providers/api_urls.py)."""
    return problem(404, MESSAGES["not_found"])


api = ProviderAPI(
    title="回線情報通知 API",
    version="1",
    description=api_description(),
    urls_namespace="provider_api",
    # Swagger UI, from ninja's own static files: it runs under the site's CSP as it is.
    docs=Swagger(settings={"defaultModelsExpandDepth": 2, "validatorUrl": None}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
lookups = Router()


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = [_describe(error) for error in exc.errors]
    return problem(400, errors[0]["detail"], errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    # A header left out is said as such: it tells nothing about any key.
    message = MESSAGES["unauthorized" if "Authorization" in request.headers else "no_key"]
    return problem(401, message, WWW_Authenticate='Bearer realm="wso"')


@api.exception_handler(AuthorizationError)
def _forbidden(request, exc):
    return problem(403, MESSAGES["inactive"])


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 429:
        return problem(429, MESSAGES["throttled"])
    if exc.status_code == 400:  # ninja's "Cannot parse request body"
        return problem(400, MESSAGES["not_json"])
    return problem(exc.status_code, HTTPStatus(exc.status_code).phrase)


def _describe(error: dict) -> dict:
    """A pydantic error as {pointer, detail}, the pointer into the request body (RFC 6901)."""
    location = [str(part) for part in error.get("loc", ())[2:]]  # past ("body", "payload")
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        detail = MESSAGES["unknown_field"].format(field=location[-1][:40])
    elif kind == "missing":
        detail = MESSAGES["missing"]
    elif kind == "too_short":
        detail = MESSAGES["empty"]
    elif kind == "too_long":
        detail = MESSAGES["too_many"]
    elif kind == "value_error":
        detail = MESSAGES["not_ipv6"].format(index=location[-1])
    elif kind in {"model_type", "model_attributes_type", "dict_type"} or not location:
        detail = MESSAGES["not_object"]
    else:
        detail = MESSAGES["not_list"]
    return {"pointer": "#/" + "/".join(location), "detail": detail}


@lookups.post(
    "/lookups",
    response={200: LookupResponse},
    auth=ProviderKeyAuth(),
    throttle=[PerKeyRate()],
    tags=[TAG_LOOKUPS],
    summary="IPv6アドレスからお客様IDを照会する / Look up Customer IDs by IPv6 address",
    description=(
        "1件から100件のIPv6アドレスを照会します。回線がない、他のサービス提供者にだけ通知する、"
        "通知しない、利用停止中・解約済みの回線、のいずれの場合も同じ "
        '`{"notified": false, "customer_id": null}` が返ります。工事中の申込はまだ反映されません。'
        "\n\nLooks up 1 to 100 IPv6 addresses. No line there, a line that notifies other "
        "providers only, one that does not notify, a suspended or cancelled line: each is the "
        'same `{"notified": false, "customer_id": null}`. An application still in work is not '
        "applied yet."
    ),
    openapi_extra={"responses": RESPONSES},
)
# An answer carries お客様ID: no cache on the way, nor the client's, may keep it.
@decorate_view(limit_body, cache_control(no_store=True))
def lookup(request: HttpRequest, payload: LookupRequest):
    answers = look_up(request.auth, payload.addresses)
    metrics.count_lookup(answers)
    # Rendered here: ninja would check each of up to 100 results against LookupResult again on
    # the way out. The shape is the contract's (tests/providers/test_openapi_conformance.py).
    return JsonResponse(
        {
            "results": [
                {"address": a.address, "notified": a.notified, "customer_id": a.customer_id}
                for a in answers
            ]
        }
    )


api.add_router("", lookups)
