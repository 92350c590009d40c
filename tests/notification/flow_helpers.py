"""Walking the change flows through the test client, one obvious way."""

import re

from django.urls import reverse

VALID_APPLICANT = {
    "name": "西日本 太郎",
    "phone": "06-1234-5678",
    "email": "taro@example.jp",
    "wants_completion_mail": "yes",
}

FLOW_URL = re.compile(r"/notification/flow/(?P<flow_id>[^/]+)/(?P<step>[a-z]+)/")


def flow_id_of(response) -> str:
    match = FLOW_URL.search(response["Location"])
    assert match, response["Location"]
    return match["flow_id"]


def step_url(step: str, flow_id: str) -> str:
    return reverse(f"notification:{step}", kwargs={"flow_id": flow_id})


def start_stop(client, *providers) -> str:
    response = client.post(
        reverse("notification:usage_detail"),
        {"action": "stop", "provider": [p.pk for p in providers]},
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"].endswith("/consent/")
    return flow_id_of(response)


def start_notify(client, *providers) -> str:
    response = client.post(reverse("notification:usage_detail"), {"action": "add"})
    assert response.status_code == 302
    flow_id = flow_id_of(response)
    if providers:
        ids = [p.pk for p in providers]
        response = client.post(
            step_url("register", flow_id),
            {"shown": ids, "provider": ids, "action": "next", "page": "1"},
        )
        assert response.status_code == 302, response.content.decode()
        assert response["Location"] == step_url("consent", flow_id)
    return flow_id


def agree(client, flow_id: str, version) -> None:
    response = client.post(
        step_url("consent", flow_id), {"action": "agree", "version": str(version.pk)}
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == step_url("applicant", flow_id)


def fill_applicant(client, flow_id: str, **overrides) -> None:
    response = client.post(step_url("applicant", flow_id), {**VALID_APPLICANT, **overrides})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == step_url("confirm", flow_id)


def walk_to_confirm(client, flow_id: str, version, **applicant) -> None:
    agree(client, flow_id, version)
    fill_applicant(client, flow_id, **applicant)


def submit(client, flow_id: str):
    return client.post(step_url("confirm", flow_id))
