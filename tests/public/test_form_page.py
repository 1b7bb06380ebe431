"""The citizen form over HTTP: rendering, submitting, bad links, anti-forgery, honeypot, limits, dossier links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Counter
from app.forms.models import FormVersion
from app.main import create_app
from app.public import links, tokens
from app.responses.models import Answer, Channel, Response
from tests.factories import counter_tree, registry


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def _count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Response)) or 0)


@pytest.fixture
def counter(session: Session) -> Counter:
    return counter_tree(session)[2]


@pytest.fixture
def path(settings: Settings, counter: Counter) -> str:
    return "/f/" + links.counter_token(settings, counter)


def _post(client: TestClient, path: str, answers: dict[str, object], **extra: str) -> object:
    page = client.get(path)
    data: dict[str, object] = {**_hidden(page.text), **answers, **extra}
    return client.post(path, data=data, follow_redirects=False)


def test_form_renders_in_vietnamese_by_default_and_in_english_on_request(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Nói chung, Ông/Bà hài lòng thế nào với sự phục vụ hôm nay?" in page.text
    assert "Xã Bát Tràng · Quầy số 1" in page.text
    assert set(_hidden(page.text)) == {"submission_id", "csrf", "lang"}
    english = client.get(path + "?lang=en")
    assert '<html lang="en">' in english.text
    assert "Overall, how satisfied are you with the service today?" in english.text
    assert "Bat Trang Commune · Counter 1" in english.text


def test_page_is_small_and_self_contained(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert len(page.content) < 50_000
    assert "<script" not in page.text and "<link" not in page.text and " src=" not in page.text
    assert "http://" not in page.text and "https://" not in page.text


def test_every_scale_is_a_fieldset_with_a_legend_and_labelled_levels(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assert html.count("<fieldset") == 8  # overall, five elements, procedure field, reason
    assert html.count("<legend>") == 8
    assert (
        '<label><input type="radio" name="overall" value="1"><span><b>1</b> Rất không hài lòng</span></label>' in html
    )
    assert '<label for="a-comment">' in html and 'maxlength="500"' in html


def test_submitting_stores_one_response_and_thanks(client: TestClient, path: str, session: Session,
                                                   counter: Counter) -> None:  # fmt: skip
    response = _post(client, path, {"overall": "4", "access_general": "5", "procedure_field": "land",
                                    "comment": "Cán bộ nhiệt tình"})  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"].endswith("/thanks?lang=vi")
    thanks = client.get(response.headers["location"])
    assert thanks.status_code == 200 and "Cảm ơn Ông/Bà!" in thanks.text
    stored = session.scalars(select(Response)).one()
    assert (stored.agency_id, stored.counter_id, stored.channel) == (counter.agency_id, counter.id, Channel.web_qr)
    version = session.get(FormVersion, stored.form_version_id)
    assert version is not None and (version.form_id, version.version) == ("counter-quick", 1)
    answers = {a.item_code: (a.value_int, a.value_text) for a in session.scalars(select(Answer))}
    assert answers == {"overall": (4, None), "access_general": (5, None), "comment": (None, "Cán bộ nhiệt tình")}
    assert stored.is_suspected_spam is False


def test_double_tap_and_refresh_never_store_twice(client: TestClient, path: str, session: Session) -> None:
    data = {**_hidden(client.get(path).text), "overall": "5"}
    first = client.post(path, data=data, follow_redirects=False)
    second = client.post(path, data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert _count(session) == 1


def test_missing_answer_shows_the_error_next_to_the_question_and_keeps_answers(
    client: TestClient, path: str, session: Session
) -> None:
    response = _post(client, path, {"overall": "2", "access_general": "3", "comment": "Chờ lâu"})
    assert response.status_code == 422
    html = response.text
    assert 'id="e-reason">Vui lòng trả lời câu hỏi này.</p>' in html
    assert 'aria-describedby="e-reason"' in html
    assert '<input type="radio" name="overall" value="2" checked>' in html
    assert '<input type="radio" name="access_general" value="3" checked>' in html
    assert ">Chờ lâu</textarea>" in html
    assert _count(session) == 0


def test_answers_to_questions_not_asked_are_ignored_on_the_page(client: TestClient, path: str,
                                                              session: Session) -> None:  # fmt: skip
    response = _post(client, path, {"overall": "5", "reason": "attitude"})
    assert response.status_code == 303
    assert session.scalars(select(Answer.item_code)).all() == ["overall"]


def test_a_post_without_our_token_is_refused(client: TestClient, path: str, session: Session) -> None:
    page = client.get(path)
    data = {**_hidden(page.text), "csrf": "0" * 32, "overall": "5"}
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "Phiếu đã hết hạn hoặc không hợp lệ" in response.text
    assert '<input type="radio" name="overall" value="5" checked>' in response.text
    assert _count(session) == 0


def test_honeypot_submissions_are_kept_but_flagged(client: TestClient, path: str, session: Session) -> None:
    response = _post(client, path, {"overall": "5"}, website="http://spam.example")
    assert response.status_code == 303  # the bot learns nothing
    stored = session.scalars(select(Response)).one()
    assert (stored.is_suspected_spam, stored.flag_reason) == (True, "honeypot field filled")


@pytest.mark.parametrize("bad", ["tampered", "unknown_key", "revoked", "inactive", "garbage"])
def test_bad_links_get_a_friendly_vietnamese_404(client: TestClient, settings: Settings, session: Session,
                                                 counter: Counter, bad: str) -> None:  # fmt: skip
    token = links.counter_token(settings, counter)
    if bad == "tampered":
        kid, _payload, signature = token.split(".")
        token = f"{kid}.{tokens._b64(b'c|counter-quick|1|999|0')}.{signature}"
    elif bad == "unknown_key":
        token = "k9." + token.split(".", 1)[1]
    elif bad == "revoked":
        links.revoke_counter_links(session, counter)
        session.commit()
    elif bad == "inactive":
        counter.active = False
        session.commit()
    else:
        token = "not-a-token"
    page = client.get(f"/f/{token}")
    assert page.status_code == 404
    assert "Không tìm thấy phiếu đánh giá" in page.text
    assert "Feedback form not found" in page.text
    assert client.post(f"/f/{token}", data={"overall": "5"}).status_code == 404
    assert _count(session) == 0


def test_keys_rotate_old_links_keep_working(settings: Settings, session: Session, counter: Counter) -> None:
    old_token = links.counter_token(settings, counter)
    rotated = settings.model_copy(update={
        "token_keys": {**settings.token_keys, "k2": "b" * 43}, "token_key_id": "k2",
    })  # fmt: skip
    app = create_app(rotated)
    with TestClient(app) as client:
        assert client.get(f"/f/{old_token}").status_code == 200
        assert client.get(f"/f/{links.counter_token(rotated, counter)}").status_code == 200
    app.state.engine.dispose()


def _limited_app(settings: Settings, **limits: int) -> FastAPI:
    return create_app(settings.model_copy(update=limits))


def test_rate_limit_per_link(settings: Settings, session: Session, path: str) -> None:
    app = _limited_app(settings, form_rate_per_link_per_minute=2)
    with TestClient(app) as client:
        statuses = [_post(client, path, {"overall": "5"}).status_code for _ in range(3)]
        refused = _post(client, path, {"overall": "5"})
    app.state.engine.dispose()
    assert statuses == [303, 303, 429]
    assert "Quá nhiều lượt gửi" in refused.text and int(refused.headers["retry-after"]) > 0
    assert _count(session) == 2


def test_rate_limit_per_client_does_not_block_the_whole_office(settings: Settings, session: Session,
                                                                path: str) -> None:  # fmt: skip
    app = _limited_app(settings, form_rate_per_client_per_hour=1)
    with TestClient(app) as first_phone, TestClient(app) as second_phone:
        assert _post(first_phone, path, {"overall": "5"}).status_code == 303
        assert _post(first_phone, path, {"overall": "4"}).status_code == 429
        assert _post(second_phone, path, {"overall": "3"}).status_code == 303  # same address, other browser
    app.state.engine.dispose()
    assert _count(session) == 2


def test_single_use_dossier_link(client: TestClient, settings: Settings, session: Session, counter: Counter) -> None:
    forms = registry(session, settings)
    link, token = links.mint_dossier_link(
        session, settings, forms, agency=counter.agency, counter=counter, dossier_code="H26-0001", actor="test"
    )
    session.commit()
    path = f"/f/{token}"
    page, other_tab = client.get(path), client.get(path)  # two tabs opened before answering
    assert page.status_code == 200 and "<b>1</b> Không hài lòng" in page.text
    data = {**_hidden(page.text), "rating": "3"}
    assert client.post(path, data=data, follow_redirects=False).status_code == 303
    assert client.post(path, data=data, follow_redirects=False).status_code == 303  # the same page tapped twice
    again = client.get(path)
    assert again.status_code == 410 and "Hồ sơ này đã được đánh giá" in again.text
    late = client.post(path, data={**_hidden(other_tab.text), "rating": "1", "reason": "late_result"})
    assert late.status_code == 410 and "Hồ sơ này đã được đánh giá" in late.text
    assert _count(session) == 1
    stored = session.scalars(select(Response)).one()
    session.refresh(link)
    assert stored.dossier_hash == link.dossier_hash and link.response_id == stored.id


def test_expired_dossier_link_is_a_404(client: TestClient, settings: Settings, session: Session,
                                       counter: Counter) -> None:  # fmt: skip
    forms = registry(session, settings)
    _, token = links.mint_dossier_link(session, settings, forms, agency=counter.agency, dossier_code="H26-0002",
                                       actor="test", now=datetime.now(UTC) - timedelta(days=31))  # fmt: skip
    session.commit()
    assert client.get(f"/f/{token}").status_code == 404
