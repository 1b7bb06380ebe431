"""A counter's typed code over HTTP: `/q/{code}` opens the counter's form, `/q?code=` is what the front door's box
sends; a code that is no counter's gets a page with the box to try again, and guessing is limited."""

from __future__ import annotations

import types

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Counter
from app.links import service as links
from tests.factories import Clock, counter_tree

CODE = "70X1M9"  # a code with a 0 and a 1, which people type as O and l
NOT_FOUND_VI = (
    f'<p class="missing">Không có quầy nào đang dùng mã «{CODE}». Vui lòng xem lại mã in dưới mã QR tại quầy và nhập '
    "lại; nếu quầy vừa đổi mã, hãy dùng mã mới đang dán tại quầy.</p>"
)


@pytest.fixture
def counter(session: Session) -> Counter:
    counter = counter_tree(session)[2]
    session.execute(update(Counter).where(Counter.id == counter.id).values(short_code=CODE))
    session.commit()
    session.refresh(counter)
    return counter


def _form_path(settings: Settings, counter: Counter) -> str:
    return f"/f/{links.counter_token(settings, counter)}"


def test_a_code_typed_in_lower_case_with_o_for_zero_opens_the_counters_form(
    client: TestClient, settings: Settings, counter: Counter
) -> None:
    typed = client.get("/q/7ox-lm9", follow_redirects=False)
    assert (typed.status_code, typed.headers["location"]) == (303, _form_path(settings, counter))
    assert typed.headers["cache-control"] == "no-store"
    form = client.get("/q/7ox-lm9")
    assert form.status_code == 200
    assert str(form.url).endswith(_form_path(settings, counter))
    assert 'name="submission_id"' in form.text and "Xã Bát Tràng" in form.text


def test_the_language_is_passed_on(client: TestClient, settings: Settings, counter: Counter) -> None:
    english = client.get(f"/q/{CODE}?lang=en", follow_redirects=False)
    assert english.headers["location"] == f"{_form_path(settings, counter)}?lang=en"
    assert client.get(f"/q/{CODE}?lang=en").text.startswith('<!doctype html>\n<html lang="en">')


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("code=7ox-lm9", f"/q/{CODE}"),
        ("code=+7OX+1M9+&lang=en", f"/q/{CODE}?lang=en"),
        ("code=ZZZZZZ", "/q/ZZZZZZ"),  # well formed: the code's page says whether a counter has it
        ("code=", "/"),  # an empty box: back to the front door
        ("code=++&lang=en", "/?lang=en"),
        ("", "/"),
    ],
)
def test_the_front_doors_box_redirects_to_the_code_in_its_printed_form(
    client: TestClient, counter: Counter, query: str, location: str
) -> None:
    sent = client.get(f"/q?{query}", follow_redirects=False)
    assert (sent.status_code, sent.headers["location"]) == (303, location)


@pytest.mark.parametrize("path", ["/q/ZZZZZZ", "/q/7KX2MU", "/q/12345", "/q/%3Cb%3E", "/q?code=hello%21", "/q?code=U"])
def test_a_code_that_is_no_counters_gets_a_page_with_the_box_again(
    client: TestClient, counter: Counter, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 404
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Không tìm thấy mã quầy</h1>" in page.text
    assert '<form class="code-box" method="get" action="/q"' in page.text
    assert '<h2 id="code-title">Nhập lại mã quầy</h2>' in page.text
    assert "<b>" not in page.text  # what was typed is shown escaped


def test_the_not_found_page_shows_what_was_typed_in_either_language(client: TestClient, counter: Counter) -> None:
    # The counter has CODE; this one differs in its last symbol.
    vi = client.get("/q/70x1m8")
    assert vi.status_code == 404
    assert vi.text.startswith('<!doctype html>\n<html lang="vi">')
    assert NOT_FOUND_VI.replace(CODE, "70X1M8") in vi.text
    assert 'value="70x1m8"' in vi.text  # the box keeps it, to correct
    en = client.get("/q/70x1m8?lang=en")
    assert en.text.startswith('<!doctype html>\n<html lang="en">')
    assert (
        '<p class="missing">No counter uses the code “70X1M8”. Please check the code printed under the QR code at '
        "the counter and type it again; if the counter&#39;s code was changed, use the new one on its desk.</p>"
    ) in en.text
    assert '<input type="hidden" name="lang" value="en">' in en.text
    assert '<a class="lang" href="?lang=vi" hreflang="vi" lang="vi">Tiếng Việt</a>' in en.text


def test_after_revoking_the_links_the_old_code_is_not_found_and_the_new_one_opens_the_form(
    client: TestClient, settings: Settings, session: Session, counter: Counter
) -> None:
    links.revoke_counter_links(session, counter, actor="test")
    session.commit()
    assert counter.short_code != CODE
    old = client.get(f"/q/{CODE}")
    assert old.status_code == 404
    assert NOT_FOUND_VI in old.text
    new = client.get(f"/q/{counter.short_code}", follow_redirects=False)
    assert (new.status_code, new.headers["location"]) == (303, _form_path(settings, counter))
    assert client.get(f"/q/{counter.short_code}").status_code == 200


@pytest.mark.parametrize("closed", ["counter", "agency"])
def test_a_deactivated_counters_code_gets_the_page_its_qr_code_gets(
    client: TestClient, settings: Settings, session: Session, counter: Counter, closed: str
) -> None:
    qr_path = _form_path(settings, counter)
    if closed == "counter":
        counter.active = False
    else:
        counter.agency.active = False
    session.commit()
    by_code, by_qr = client.get(f"/q/{CODE.lower()}"), client.get(qr_path)
    assert (by_code.status_code, by_qr.status_code) == (404, 404)
    assert by_code.text == by_qr.text
    assert "<h1>Không tìm thấy phiếu đánh giá</h1>" in by_code.text
    assert "<form" not in by_code.text


def test_forty_wrong_codes_from_one_client_are_refused(
    client: TestClient, counter: Counter, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.public.router.time", types.SimpleNamespace(monotonic=clock.monotonic))
    statuses = [client.get(f"/q/ZZZZ{n:02d}").status_code for n in range(40)]
    assert statuses == [404] * 20 + [429] * 20
    refused = client.get(f"/q/{CODE}", follow_redirects=False)  # while refused, a right code too: nothing to learn
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "601"
    assert "<h1>Quá nhiều lần nhập mã sai</h1>" in refused.text
    assert "Vui lòng thử lại sau ít phút, hoặc quét mã QR tại quầy." in refused.text
    clock.advance(300)
    assert client.get(f"/q/{CODE}", follow_redirects=False).headers["retry-after"] == "301"
    clock.advance(300)  # the first wrong codes are ten minutes old
    assert client.get(f"/q/{CODE}", follow_redirects=False).status_code == 303


def test_right_codes_are_never_counted(client: TestClient, counter: Counter) -> None:
    assert {client.get(f"/q/{CODE}", follow_redirects=False).status_code for _ in range(30)} == {303}
