"""The citizen form over HTTP: rendering, submitting, bad links, anti-forgery, honeypot, limits, dossier links, the
page's state (one submission id per browser and link; a refused post redirects back to the form)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Counter
from app.directory.service import create_counter
from app.forms.models import FormVersion
from app.links import service as links
from app.links import tokens
from app.main import create_app
from app.responses.models import Answer, Channel, Response
from tests.factories import counter_tree, registry

SENT = "Phiếu này đã được gửi và ghi nhận"


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


def _post(client: TestClient, path: str, answers: dict[str, object], *, new_answer: bool = False, **extra: str) -> Any:
    """Open the form and send it. A browser keeps its submission id for a link until it asks for a new form
    (``new_answer``): a second send of the same id is the same answer."""
    page = client.get(path + "/new" if new_answer else path)
    data: dict[str, object] = {**_hidden(page.text), **answers, **extra}
    return client.post(path, data=data, follow_redirects=False)


def _back_to_the_form(response: Any, path: str) -> None:
    """A refused post answers with a redirect to the form (never a page: Back must not ask to resubmit)."""
    assert response.status_code == 303
    assert response.headers["location"].startswith(path + "?lang=") and response.headers["location"].endswith("#errors")


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


def test_submitting_stores_one_response_and_thanks(
    client: TestClient, path: str, session: Session, counter: Counter
) -> None:
    response = _post(
        client, path, {"overall": "4", "access_general": "5", "procedure_field": "land", "comment": "Cán bộ nhiệt tình"}
    )
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
    first_page = client.get(path)
    response = client.post(
        path,
        data={**_hidden(first_page.text), "overall": "2", "access_general": "3", "comment": "Chờ lâu"},
        follow_redirects=False,
    )
    _back_to_the_form(response, path)
    again = client.get(response.headers["location"])
    assert again.status_code == 200
    html = again.text
    assert 'id="e-reason">Vui lòng trả lời câu hỏi này.</p>' in html
    assert 'aria-describedby="h-reason e-reason"' in html
    assert '<input type="radio" name="overall" value="2" checked>' in html
    assert '<details class="more" open>' in html  # a detail answered: the section comes back open, answer kept
    assert '<input type="radio" name="access_general" value="3" checked>' in html
    assert ">Chờ lâu</textarea>" in html
    assert _hidden(html)["submission_id"] == _hidden(first_page.text)["submission_id"]
    assert _count(session) == 0
    fixed = client.post(path, data={**_hidden(html), "overall": "2", "reason": "attitude"}, follow_redirects=False)
    assert fixed.headers["location"].endswith("/thanks?lang=vi")
    after = client.get(path).text  # the mistakes are gone once the answer is stored
    assert "Vui lòng trả lời câu hỏi này." not in after and SENT in after
    assert _count(session) == 1


def test_mistakes_in_english_come_back_in_english(client: TestClient, path: str) -> None:
    page = client.get(path + "?lang=en")
    response = client.post(path, data=_hidden(page.text), follow_redirects=False)
    _back_to_the_form(response, path)
    assert response.headers["location"] == f"{path}?lang=en#errors"
    assert 'id="e-overall">Please answer this question.</p>' in client.get(response.headers["location"]).text


def test_a_draft_too_big_for_a_cookie_is_shown_at_once(client: TestClient, path: str, session: Session) -> None:
    """The answers of a refused post travel in a cookie; one that cannot (a pasted essay, refused for its length)
    gets the form straight back with its mistakes, as a page (422)."""
    essay = secrets.token_urlsafe(6000)  # incompressible
    response = _post(client, path, {"overall": "5", "comment": essay})
    assert response.status_code == 422
    assert 'id="e-comment">Nội dung quá dài.</p>' in response.text and essay in response.text
    assert _count(session) == 0


def test_answers_to_questions_not_asked_are_ignored_on_the_page(
    client: TestClient, path: str, session: Session
) -> None:
    response = _post(client, path, {"overall": "5", "reason": "attitude"})
    assert response.status_code == 303
    assert session.scalars(select(Answer.item_code)).all() == ["overall"]


def test_a_post_without_our_token_is_refused(client: TestClient, path: str, session: Session) -> None:
    page = client.get(path)
    data = {**_hidden(page.text), "csrf": "0" * 32, "overall": "5"}
    response = client.post(path, data=data, follow_redirects=False)
    _back_to_the_form(response, path)
    again = client.get(response.headers["location"])
    assert "Phiếu đã hết hạn hoặc không hợp lệ" in again.text
    assert '<input type="radio" name="overall" value="5" checked>' in again.text
    assert _count(session) == 0
    sent = client.post(path, data={**_hidden(again.text), "overall": "5"}, follow_redirects=False)
    assert sent.headers["location"].endswith("/thanks?lang=vi")  # the page shown again is a good one
    assert _count(session) == 1


def test_a_post_from_a_browser_we_never_saw_is_refused_with_a_client_id(
    app: FastAPI, path: str, session: Session
) -> None:
    """The issue's script: the page's fields, and a ``sipas_client`` cookie of its own choosing (or none)."""
    page = TestClient(app).get(path)
    for forged in (secrets.token_urlsafe(16), None):
        script = TestClient(app)
        if forged is not None:
            script.cookies.set("sipas_client", forged, domain="testserver.local")
        response = script.post(path, data={**_hidden(page.text), "overall": "5"}, follow_redirects=False)
        assert response.status_code == 400
        assert "Phiếu đã hết hạn hoặc không hợp lệ" in response.text
        assert '<input type="radio" name="overall" value="5" checked>' in response.text
        assert script.cookies.get("sipas_client") not in (None, forged)  # one of ours now
        resent = script.post(path, data={**_hidden(response.text), "overall": "5"}, follow_redirects=False)
        assert resent.headers["location"].endswith("/thanks?lang=vi")
    assert _count(session) == 2


def test_a_page_is_bound_to_the_browser_it_was_rendered_for(app: FastAPI, path: str, session: Session) -> None:
    first, second = TestClient(app), TestClient(app)
    fields = _hidden(first.get(path).text)
    second.get(path)  # a client id of its own
    response = second.post(path, data={**fields, "overall": "5"}, follow_redirects=False)
    _back_to_the_form(response, path)
    assert _count(session) == 0
    assert first.post(path, data={**fields, "overall": "5"}, follow_redirects=False).status_code == 303
    assert _count(session) == 1


def test_a_page_expires(
    app: FastAPI, settings: Settings, path: str, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = datetime.now(UTC)
    monkeypatch.setattr("app.public.router.utcnow", lambda: opened)
    client = TestClient(app)
    fields = _hidden(client.get(path).text)
    later = opened + timedelta(minutes=settings.form_page_ttl_minutes, seconds=1)
    monkeypatch.setattr("app.public.router.utcnow", lambda: later)
    response = client.post(path, data={**fields, "overall": "4"}, follow_redirects=False)
    _back_to_the_form(response, path)
    again = client.get(response.headers["location"]).text
    assert "Phiếu đã hết hạn" in again and '<input type="radio" name="overall" value="4" checked>' in again
    assert _hidden(again)["submission_id"] == fields["submission_id"]  # still this browser's answer to give
    assert _count(session) == 0
    assert client.post(path, data={**_hidden(again), "overall": "4"}, follow_redirects=False).status_code == 303
    assert _count(session) == 1


def test_back_after_the_thank_you_page_keeps_the_submission_id(client: TestClient, path: str, session: Session) -> None:
    """Back re-requests the form (it is never cached) and the browser puts the answers back: the page must carry the
    same submission id, so sending it again stores nothing new."""
    first = _hidden(client.get(path).text)
    assert client.post(path, data={**first, "overall": "5"}, follow_redirects=False).status_code == 303
    back = client.get(path)
    assert _hidden(back.text)["submission_id"] == first["submission_id"]
    assert SENT in back.text  # and the citizen is told
    again = client.post(path, data={**_hidden(back.text), "overall": "4"}, follow_redirects=False)
    assert again.headers["location"].endswith("/thanks?lang=vi")
    assert _count(session) == 1
    assert session.scalars(select(Answer.value_int)).all() == [5]  # the first answer stands


def test_a_new_answer_on_the_same_phone_is_asked_for(client: TestClient, path: str, session: Session) -> None:
    first = _hidden(client.get(path).text)
    assert client.post(path, data={**first, "overall": "5"}, follow_redirects=False).status_code == 303
    assert '<a href="' + path + '/new?lang=vi">' in client.get(path).text
    opened = client.get(path + "/new?lang=vi", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == path + "?lang=vi"
    page = client.get(opened.headers["location"])
    second = _hidden(page.text)
    assert second["submission_id"] != first["submission_id"] and SENT not in page.text
    assert client.post(path, data={**second, "overall": "3"}, follow_redirects=False).status_code == 303
    assert _count(session) == 2


def test_two_links_keep_their_own_submission_ids(
    client: TestClient, settings: Settings, session: Session, path: str, counter: Counter
) -> None:
    other = create_counter(session, agency=counter.agency, code="Q02", name_vi="Quầy số 2")
    session.commit()
    other_path = "/f/" + links.counter_token(settings, other)
    ids = [_hidden(client.get(where).text)["submission_id"] for where in (path, other_path, path, other_path)]
    assert ids[0] == ids[2] and ids[1] == ids[3] and ids[0] != ids[1]


def test_honeypot_submissions_are_kept_but_flagged(client: TestClient, path: str, session: Session) -> None:
    response = _post(client, path, {"overall": "5"}, website="http://spam.example")
    assert response.status_code == 303  # the bot learns nothing
    stored = session.scalars(select(Response)).one()
    assert (stored.is_suspected_spam, stored.flag_reason) == (True, "honeypot field filled")


@pytest.mark.parametrize(
    "bad", ["tampered", "unknown_key", "revoked", "inactive", "garbage", "junk_after", "other_spelling"]
)
def test_bad_links_get_a_friendly_vietnamese_404(
    client: TestClient, settings: Settings, session: Session, counter: Counter, bad: str
) -> None:
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
    elif bad == "junk_after":
        token += "!!!!"
    elif bad == "other_spelling":  # the signature's last character carries 4 unused bits: one spelling only
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        last = alphabet.index(token[-1])
        token = token[:-1] + alphabet[last ^ 1]
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
    rotated = settings.model_copy(
        update={
            "token_keys": {**settings.token_keys, "k2": "b" * 43},
            "token_key_id": "k2",
        }
    )
    app = create_app(rotated)
    with TestClient(app) as client:
        assert client.get(f"/f/{old_token}").status_code == 200
        assert client.get(f"/f/{links.counter_token(rotated, counter)}").status_code == 200
    app.state.engine.dispose()


def _limited_app(settings: Settings, **limits: int) -> FastAPI:
    return create_app(settings.model_copy(update=limits))


def test_rate_limit_per_link(settings: Settings, session: Session, path: str, counter: Counter) -> None:
    """Counted per counter, whatever the token's spelling: after a key rotation the old and the new token of one
    counter both open it, and share its limit."""
    rotated = settings.model_copy(
        update={
            "token_keys": {**settings.token_keys, "k2": "b" * 43},
            "token_key_id": "k2",
            "form_rate_per_link_per_minute": 2,
        }
    )
    app = create_app(rotated)
    new_path = "/f/" + links.counter_token(rotated, counter)
    assert new_path != path
    with TestClient(app) as client:
        statuses = [
            _post(client, where, {"overall": "5"}, new_answer=True).status_code for where in (path, new_path, new_path)
        ]
        refused = _post(client, path, {"overall": "5"}, new_answer=True)
    app.state.engine.dispose()
    assert statuses == [303, 303, 429]
    assert "Quá nhiều lượt gửi" in refused.text and int(refused.headers["retry-after"]) > 0
    assert _count(session) == 2


def test_rate_limit_per_client_does_not_block_the_whole_office(settings: Settings, session: Session, path: str) -> None:
    app = _limited_app(settings, form_rate_per_client_per_hour=1)
    with TestClient(app) as first_phone, TestClient(app) as second_phone:
        assert _post(first_phone, path, {"overall": "5"}).status_code == 303
        assert _post(first_phone, path, {"overall": "4"}, new_answer=True).status_code == 429
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
    page, other_tab = client.get(path), client.get(path)  # two tabs opened before answering: one answer
    assert _hidden(other_tab.text)["submission_id"] == _hidden(page.text)["submission_id"]
    other_phone = TestClient(client.app)
    other_page = other_phone.get(path)  # and another phone
    assert page.status_code == 200 and "<b>1</b> Không hài lòng" in page.text
    data = {**_hidden(page.text), "rating": "3"}
    assert client.post(path, data=data, follow_redirects=False).status_code == 303
    assert client.post(path, data=data, follow_redirects=False).status_code == 303  # the same page tapped twice
    again = client.get(path)
    assert again.status_code == 410 and "Hồ sơ này đã được đánh giá" in again.text
    late = client.post(path, data={**_hidden(other_tab.text), "rating": "1", "reason": "late_result"})
    assert late.status_code == 200 and "Cảm ơn Ông/Bà!" in late.text  # the answer given stands
    from_other_phone = other_phone.post(path, data={**_hidden(other_page.text), "rating": "2"})
    assert from_other_phone.status_code == 410 and "Hồ sơ này đã được đánh giá" in from_other_phone.text
    assert _count(session) == 1
    stored = session.scalars(select(Response)).one()
    session.refresh(link)
    assert stored.dossier_hash == link.dossier_hash and link.response_id == stored.id


def test_expired_dossier_link_is_a_404(
    client: TestClient, settings: Settings, session: Session, counter: Counter
) -> None:
    forms = registry(session, settings)
    _, token = links.mint_dossier_link(
        session,
        settings,
        forms,
        agency=counter.agency,
        dossier_code="H26-0002",
        actor="test",
        now=datetime.now(UTC) - timedelta(days=31),
    )
    session.commit()
    assert client.get(f"/f/{token}").status_code == 404
