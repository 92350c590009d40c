"""The change flows' state: one session bucket per flow, keyed by a random id in the URL.

A flow remembers the direction, the providers picked, the consent (version and time), the
applicant's details and the submission token. Every step asks `load` for it, which refuses a
flow of another session, an expired flow, or a step that is not reachable yet.
"""

import secrets
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_noop

from .models import Direction

SESSION_KEY = "wso_flows"
DONE_KEY = "wso_done_flows"  # flow id -> 受付番号, kept after submission
DONE_KEEP = 20
# The 受付番号 a flow just ended with: its receipt shows the step indicator until 申込履歴 is seen.
JUST_DONE_KEY = "wso_just_done"
MAX_FLOWS = 10  # open flows kept per session; the oldest go first

# (identifier, label) in order; one shared step indicator shows them. Labels and messages are
# Japanese here and translated where they are shown (views._steps, views._refused).
STEPS = (
    ("select", gettext_noop("通知先の選択")),
    ("consent", gettext_noop("同意書のご確認")),
    ("applicant", gettext_noop("申込者情報入力")),
    ("confirm", gettext_noop("変更内容確認")),
    ("receipt", gettext_noop("受付完了")),
)

NOT_FOUND = gettext_noop(
    "お申し込みの手続きが見つかりません。"
    "有効期限が切れたか、別の画面で手続きが終了した可能性があります。"
    "お手数ですが、ご利用状況詳細から最初からやり直してください。"
)
EXPIRED = gettext_noop(
    "お申し込みの手続きの有効期限が切れました。"
    "お手数ですが、ご利用状況詳細から最初からやり直してください。"
)
NOT_REACHABLE = gettext_noop("前の手順が終わっていないため、この画面は表示できません。")


class FlowRefused(Exception):
    def __init__(self, message: str, *, resume_step: str | None = None, flow_id: str = ""):
        super().__init__(message)
        self.message = message
        self.resume_step = resume_step
        self.flow_id = flow_id


@dataclass
class Flow:
    id: str
    data: dict

    @property
    def direction(self) -> str:
        return self.data["direction"]

    @property
    def provider_ids(self) -> list[int]:
        return self.data["providers"]

    @property
    def consent(self) -> dict | None:
        return self.data.get("consent")

    @property
    def applicant(self) -> dict | None:
        return self.data.get("applicant")

    @property
    def token(self) -> str:
        return self.data["token"]

    def reached(self) -> str:
        """The furthest step this flow may show."""
        if not self.provider_ids:
            return "select"
        if not self.consent:
            return "consent"
        if not self.applicant:
            return "applicant"
        return "confirm"

    def can_show(self, step: str) -> bool:
        order = [s for s, _ in STEPS]
        return order.index(step) <= order.index(self.reached())


def _flows(request) -> dict:
    return request.session.get(SESSION_KEY, {})


def _prune(flows: dict, now: float) -> dict:
    max_age = settings.WSO_FLOW_MAX_AGE_SECONDS
    alive = sorted(
        ((k, v) for k, v in flows.items() if now - v["created"] <= max_age),
        key=lambda kv: kv[1]["created"],
    )
    return dict(alive[-(MAX_FLOWS - 1) :])


def start(request, direction: str, provider_ids=()) -> Flow:
    assert direction in Direction.values
    now = time.time()
    flows = _prune(_flows(request), now)
    flow = Flow(
        id=secrets.token_urlsafe(16),
        data={
            "line": request.line.pk,
            "direction": direction,
            "providers": sorted(set(provider_ids)),
            "created": now,
            "token": str(uuid.uuid4()),
        },
    )
    flows[flow.id] = flow.data
    request.session[SESSION_KEY] = flows
    return flow


def load(request, flow_id: str, step: str) -> Flow:
    data = _flows(request).get(flow_id)
    if data is None or data.get("line") != request.line.pk:
        raise FlowRefused(NOT_FOUND)
    if time.time() - data["created"] > settings.WSO_FLOW_MAX_AGE_SECONDS:
        drop(request, flow_id)
        raise FlowRefused(EXPIRED)
    flow = Flow(id=flow_id, data=data)
    if not flow.can_show(step):
        raise FlowRefused(NOT_REACHABLE, resume_step=flow.reached(), flow_id=flow_id)
    return flow


def direction_of(request, flow_id: str) -> str | None:
    return _flows(request).get(flow_id, {}).get("direction")


def save(request, flow: Flow) -> None:
    flows = _flows(request)
    flows[flow.id] = flow.data
    request.session[SESSION_KEY] = flows


def drop(request, flow_id: str) -> None:
    flows = _flows(request)
    if flows.pop(flow_id, None) is not None:
        request.session[SESSION_KEY] = flows


def mark_done(request, flow: Flow, receipt_number: str) -> None:
    """Forget the flow but remember where it ended, so back + 【変更】 lands on the receipt."""
    drop(request, flow.id)
    done = request.session.get(DONE_KEY, {})
    done[flow.id] = receipt_number
    request.session[DONE_KEY] = dict(list(done.items())[-DONE_KEEP:])
    request.session[JUST_DONE_KEY] = receipt_number


def just_done(request, receipt_number: str) -> bool:
    """Whether this receipt ends the flow just submitted, rather than being opened later."""
    return request.session.get(JUST_DONE_KEY) == receipt_number


def forget_just_done(request) -> None:
    request.session.pop(JUST_DONE_KEY, None)


def done_receipt(request, flow_id: str) -> str | None:
    return request.session.get(DONE_KEY, {}).get(flow_id)
