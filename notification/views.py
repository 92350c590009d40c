"""回線情報通知: screens 2–7 of the manual and 申込履歴. Every query starts from request.line."""

import json
from datetime import datetime
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from agreements.receipts import consent_receipt
from agreements.services import current_version
from wso_portal.decorators import line_required
from wso_portal.logs import security_event

from . import flow as flows
from .flow import STEPS, FlowRefused
from .forms import ApplicantForm, parse_ids
from .history import LineApplications, find_receipt, items_of, pending_applications
from .models import Application, Direction, ServiceProvider
from .services import (
    Applicant,
    ChoiceChanged,
    NotNotifyingPaginator,
    all_in_choice,
    find_submitted,
    notifying_settings,
    submit_application,
)
from .work import NotOpen, cancel_by_subscriber, cancellable_by_subscriber

HISTORY_PER_PAGE = 20
HISTORY_PROVIDERS_SHOWN = 3  # per application; the rest are on its receipt
PENDING_PROVIDERS_SHOWN = 5  # ご利用状況詳細's applications in 工事; the rest are on the receipt

MSG_PICK_STOP = gettext_noop("「通知しない」に設定するサービス提供者を選択してください。")
MSG_PICK_NOTIFY = gettext_noop("「通知する」に設定するサービス提供者を選択してください。")
MSG_CHOICE_CHANGED = gettext_noop(
    "選択されたサービス提供者の中に、現在お申し込みいただけないもの"
    "（工事中、設定済み、提供終了など）が含まれています。"
    "お手数ですが、ご利用状況詳細から選択し直してください。"
)
MSG_BAD_PICK = gettext_noop("選択されたサービス提供者が正しくありません。選択し直してください。")
MSG_NOT_AGREED = gettext_noop("お申し込みは行われませんでした。")
MSG_NO_AGREEMENT = gettext_noop(
    "現在、同意書をご確認いただけないため、お申し込みを受け付けることができません。"
    "しばらくしてから再度お試しください。"
)
MSG_AGREEMENT_REVISED = gettext_noop("同意書が改訂されました。改めて同意書の内容をご確認ください。")
MSG_ALREADY_SUBMITTED = gettext_noop("このお申し込みは受付済みです。受付内容は以下のとおりです。")
MSG_CANCELLED = gettext_noop("受付番号 %(receipt_number)s のお申し込みを取り消しました。")
MSG_ALREADY_CANCELLED = gettext_noop(
    "受付番号 %(receipt_number)s のお申し込みは既に取り消されています。受付内容は以下のとおりです。"
)
MSG_NOT_CANCELLABLE = gettext_noop(
    "受付番号 %(receipt_number)s のお申し込みは工事が開始されているため、"
    "取り消すことができません。現在の受付内容は以下のとおりです。"
)
MSG_CANCEL_NOT_FOUND = gettext_noop(
    "該当するお申し込みが見つかりません。申込履歴からお選びください。"
)

TITLE_CONFIRM = {
    Direction.STOP: gettext_lazy("回線情報通知 変更内容確認"),
    Direction.NOTIFY: gettext_lazy("回線情報通知「通知」設定登録確認"),
}


def _steps(current: str) -> list[dict]:
    order = [s for s, _ in STEPS]
    at = order.index(current)
    return [
        {"label": gettext(label), "current": i == at, "done": i < at}
        for i, (_, label) in enumerate(STEPS)
    ]


def _step_url(step: str, flow_id: str, direction: str | None) -> str:
    if step == "select":
        if direction == Direction.NOTIFY:
            return reverse("notification:register", kwargs={"flow_id": flow_id})
        return reverse("notification:usage_detail")
    return reverse(f"notification:{step}", kwargs={"flow_id": flow_id})


def _refused(request, message: str, *, resume_url: str | None = None, status: int = 400):
    """A step refused: a clear message (in the screens' language) and a way back, never a
    change."""
    security_event("flow_step_refused", request, path=request.path, status=status)
    return render(
        request,
        "notification/refused.html",
        {"message": gettext(message), "resume_url": resume_url},
        status=status,
    )


def _to_receipt(request, receipt_number: str):
    messages.info(request, gettext(MSG_ALREADY_SUBMITTED))
    return redirect("notification:receipt", receipt_number=receipt_number)


def _choice_changed(request, flow):
    """The picked providers left the choice: most often because this very flow was submitted
    from another tab (or a double click) a moment ago; then show that receipt."""
    submitted = find_submitted(request.line, flow.token)
    if submitted is not None:
        flows.mark_done(request, flow, submitted.receipt_number)
        return _to_receipt(request, submitted.receipt_number)
    flows.drop(request, flow.id)
    return _refused(request, MSG_CHOICE_CHANGED, status=409)


def flow_step(step: str):
    """Load the flow for `step` and re-check on the server everything the step relies on."""

    def decorator(view):
        @wraps(view)
        @line_required
        def wrapper(request, flow_id: str):
            done = flows.done_receipt(request, flow_id)
            if done is not None:
                return _to_receipt(request, done)
            try:
                flow = flows.load(request, flow_id, step)
            except FlowRefused as exc:
                direction = flows.direction_of(request, flow_id)
                resume = exc.resume_step and _step_url(exc.resume_step, exc.flow_id, direction)
                return _refused(request, exc.message, resume_url=resume)
            if step != "select" and not all_in_choice(
                request.line, flow.direction, flow.provider_ids
            ):
                return _choice_changed(request, flow)
            return view(request, flow)

        return wrapper

    return decorator


@line_required
def usage_detail(request):
    """Screen 2: 回線情報通知 ご利用状況詳細."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            flow = flows.start(request, Direction.NOTIFY)
            return redirect("notification:register", flow_id=flow.id)
        if action == "stop":
            ids = parse_ids(request.POST.getlist("provider"))
            if ids is None:
                return _refused(request, MSG_BAD_PICK)
            if not ids:
                messages.error(request, gettext(MSG_PICK_STOP))
                return redirect("notification:usage_detail")
            if not all_in_choice(request.line, Direction.STOP, ids):
                return _refused(request, MSG_CHOICE_CHANGED, status=409)
            flow = flows.start(request, Direction.STOP, ids)
            return redirect("notification:consent", flow_id=flow.id)
        return redirect("notification:usage_detail")
    return render(
        request,
        "notification/usage_detail.html",
        {
            "settings_list": notifying_settings(request.line),
            # A 通知する one is nowhere else on the page until it is applied.
            "pending": pending_applications(request.line, first=PENDING_PROVIDERS_SHOWN),
        },
    )


@flow_step("select")
def register(request, flow):
    """Screen 3: 回線情報通知「通知」設定登録, paged; the ticks live in the flow."""
    if flow.direction != Direction.NOTIFY:
        return _refused(
            request, flows.NOT_REACHABLE, resume_url=reverse("notification:usage_detail")
        )
    here = reverse("notification:register", kwargs={"flow_id": flow.id})
    paginator = NotNotifyingPaginator(request.line, settings.WSO_PROVIDERS_PER_PAGE)
    if request.method == "POST":
        shown = parse_ids(request.POST.getlist("shown"))
        picked = parse_ids(request.POST.getlist("provider"))
        if shown is None or picked is None or not set(picked) <= set(shown):
            return _refused(request, MSG_BAD_PICK, resume_url=here)
        if picked and not all_in_choice(request.line, Direction.NOTIFY, picked):
            return _refused(request, MSG_CHOICE_CHANGED, resume_url=here, status=409)
        selected = (set(flow.provider_ids) - set(shown)) | set(picked)
        flow.data["providers"] = sorted(selected)
        flows.save(request, flow)
        goto = request.POST.get("goto", "")
        if goto.isascii() and goto.isdigit():
            return redirect(f"{here}?{urlencode({'page': goto})}")
        page_no = request.POST.get("page", "1")
        back = f"{here}?{urlencode({'page': page_no})}"
        if not selected:
            messages.error(request, gettext(MSG_PICK_NOTIFY))
            return redirect(back)
        if not all_in_choice(request.line, Direction.NOTIFY, selected):
            return _refused(request, MSG_CHOICE_CHANGED, resume_url=back, status=409)
        return redirect("notification:consent", flow_id=flow.id)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "notification/register.html",
        {
            "flow": flow,
            "page": page,
            "page_range": paginator.get_elided_page_range(page.number),
            "ellipsis": Paginator.ELLIPSIS,
            "selected": set(flow.provider_ids),
            "steps": _steps("select"),
        },
    )


@flow_step("consent")
def consent(request, flow):
    """Screen 4: 同意書のご確認. The consent counts once the application is submitted."""
    version = current_version()
    if request.method == "POST" and request.POST.get("action") == "disagree":
        flows.drop(request, flow.id)
        messages.info(request, gettext(MSG_NOT_AGREED))
        return redirect("notification:usage_detail")
    if version is None:
        return _refused(
            request,
            MSG_NO_AGREEMENT,
            resume_url=reverse("notification:usage_detail"),
            status=503,
        )
    if request.method == "POST" and request.POST.get("action") == "agree":
        if request.POST.get("version") != str(version.pk):
            messages.error(request, gettext(MSG_AGREEMENT_REVISED))
            return redirect("notification:consent", flow_id=flow.id)
        flow.data["consent"] = {"version": version.pk, "at": timezone.now().isoformat()}
        flows.save(request, flow)
        return redirect("notification:applicant", flow_id=flow.id)
    return render(
        request,
        "notification/consent.html",
        {"flow": flow, "version": version, "steps": _steps("consent")},
    )


@flow_step("applicant")
def applicant(request, flow):
    """Screen 5: 申込者情報入力."""
    form = ApplicantForm(
        request.POST or None, initial=ApplicantForm.initial_from_flow(flow.applicant)
    )
    if request.method == "POST" and form.is_valid():
        flow.data["applicant"] = form.to_flow()
        flows.save(request, flow)
        return redirect("notification:confirm", flow_id=flow.id)
    return render(
        request,
        "notification/applicant.html",
        {"flow": flow, "form": form, "steps": _steps("applicant")},
    )


@flow_step("confirm")
def confirm(request, flow):
    """Screen 6: 変更内容確認; 【変更】 submits the application once."""
    version = current_version()
    if version is None or version.pk != flow.consent["version"]:
        flow.data.pop("consent", None)
        flows.save(request, flow)
        messages.error(request, gettext(MSG_AGREEMENT_REVISED))
        return redirect("notification:consent", flow_id=flow.id)
    if request.method == "POST":
        data = flow.applicant
        try:
            application = submit_application(
                line=request.line,
                direction=flow.direction,
                provider_ids=flow.provider_ids,
                applicant=Applicant(
                    name=data["name"],
                    phone=data["phone"],
                    email=data["email"],
                    wants_completion_mail=data["wants_completion_mail"],
                ),
                agreement_version=version,
                agreed_at=datetime.fromisoformat(flow.consent["at"]),
                token=flow.token,
                language=request.LANGUAGE_CODE,
            )
        except ChoiceChanged:
            return _choice_changed(request, flow)
        flows.mark_done(request, flow, application.receipt_number)
        security_event(
            "application_submitted",
            request,
            receipt_number=application.receipt_number,
            direction=application.direction,
            providers=len(flow.provider_ids),
        )
        return redirect("notification:receipt", receipt_number=application.receipt_number)
    providers = ServiceProvider.objects.filter(pk__in=flow.provider_ids).order_by("code")
    return render(
        request,
        "notification/confirm.html",
        {
            "flow": flow,
            "title": TITLE_CONFIRM[flow.direction],
            "rows": [{"provider": provider} for provider in providers],
            "direction_label": Direction(flow.direction).label,
            "applicant": flow.applicant,
            "steps": _steps("confirm"),
        },
    )


@line_required
def receipt(request, receipt_number: str):
    """Screen 7: 回線情報通知 変更受付完了, also reached again from 申込履歴."""
    application = find_receipt(request.line, receipt_number)
    if application is None:
        security_event("receipt_not_found", request, receipt_number=receipt_number)
        raise Http404
    items = items_of([application.pk]).get(application.pk, ([], 0))[0]
    just_done = flows.just_done(request, receipt_number)
    return render(
        request,
        "notification/receipt.html",
        {
            "application": application,
            "items": items,
            # The flow's end shows its steps; opened later (申込履歴), a way back there instead.
            "steps": _steps("receipt") if just_done else None,
            "cancellable": cancellable_by_subscriber(application),
        },
    )


@line_required
def cancel(request, receipt_number: str):
    """申込取消: the line's own application, while its 工事 has not started (受付).

    GET shows 申込取消の確認; POST cancels under the row lock, so a worker that started the 工事
    first wins and the subscriber is shown the receipt as it now stands.
    """
    application = request.line.applications.filter(receipt_number=receipt_number).first()
    if application is None:
        return _cancel_not_found(request, receipt_number)
    if request.method == "POST":
        try:
            application = cancel_by_subscriber(request.line, receipt_number)
        except NotOpen as exc:
            return _not_cancellable(request, exc.application)
        except Application.DoesNotExist:
            return _cancel_not_found(request, receipt_number)
        security_event("application_cancelled", request, receipt_number=receipt_number)
        messages.success(request, gettext(MSG_CANCELLED) % {"receipt_number": receipt_number})
        return redirect("notification:history")
    if not cancellable_by_subscriber(application):
        return _not_cancellable(request, application)
    items = application.items.select_related("provider").order_by("provider__code")
    return render(request, "notification/cancel.html", {"application": application, "items": items})


def _cancel_not_found(request, receipt_number: str):
    """Another line's or an unknown 受付番号: the same answer for both, never a change."""
    security_event("receipt_not_found", request, receipt_number=receipt_number)
    return render(
        request,
        "notification/refused.html",
        {"message": gettext(MSG_CANCEL_NOT_FOUND)},
        status=404,
    )


def _not_cancellable(request, application):
    """The 工事 started (or the application was cancelled) first: say so on the receipt."""
    security_event(
        "application_cancel_refused",
        request,
        receipt_number=application.receipt_number,
        state=application.state,
    )
    message = (
        MSG_ALREADY_CANCELLED
        if application.state == Application.State.CANCELLED
        else MSG_NOT_CANCELLABLE
    )
    messages.error(request, gettext(message) % {"receipt_number": application.receipt_number})
    return redirect("notification:receipt", receipt_number=application.receipt_number)


@line_required
def consent_record(request, receipt_number: str):
    """The receipt's 同意記録（JSON）: a Consent Receipt of the consent given with the line's own
    application (agreements.receipts), downloaded as consent-record-<受付番号>.json."""
    application = (
        request.line.applications.select_related("agreement_version", "line")
        .filter(receipt_number=receipt_number)
        .first()
    )
    if application is None:
        security_event("receipt_not_found", request, receipt_number=receipt_number)
        raise Http404
    items = application.items.select_related("provider").order_by("provider__code")
    number = application.agreement_version.version
    record = consent_receipt(
        application,
        items,
        policy_url=request.build_absolute_uri(reverse("agreements:version", args=[number])),
        text_url=request.build_absolute_uri(reverse("agreements:version_text", args=[number])),
    )
    response = HttpResponse(
        json.dumps(record, ensure_ascii=False, indent=2) + "\n",
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"consent-record-{application.receipt_number}.json"
    )
    return response


@line_required
def history(request):
    """申込履歴: the line's applications, newest first, each with its first few providers and
    whether they were told (the receipt lists them all)."""
    flows.forget_just_done(request)
    applications = LineApplications(request.line)
    page = Paginator(applications, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    shown = items_of([a.pk for a in page.object_list], first=HISTORY_PROVIDERS_SHOWN)
    for application in page.object_list:
        application.first_items, application.item_count = shown.get(application.pk, ([], 0))
        application.more_items = application.item_count - len(application.first_items)
    return render(request, "notification/history.html", {"page": page})
