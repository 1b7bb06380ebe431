"""A citizen on a phone, in a real Chromium: open the counter's link, answer, send, see the thanks page; Back
after the thanks page or after a mistake behaves."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Counter
from app.forms.models import FormVersion
from app.links import service as links
from app.responses.models import Answer, Response
from tests.factories import counter_tree
from tests.support.browser import PHONE, artifact

TITLE = "Đánh giá nhanh sự phục vụ tại Bộ phận một cửa"
# Layout, language, no-script and navigation do not depend on the database: SQLite only. Storing once (a replay's
# ON CONFLICT differs between them) is checked on both.
layout_only = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def counter(session: Session) -> Counter:
    return counter_tree(session)[2]


def _open(context: BrowserContext, live_url: str, settings: Settings, counter: Counter, query: str = "") -> Page:
    page = context.new_page()
    page.goto(f"{live_url}/f/{links.counter_token(settings, counter)}{query}")
    return page


def test_answer_on_a_phone_and_it_is_stored_once(
    phone: BrowserContext, live_url: str, settings: Settings, session: Session, counter: Counter, backend: str
) -> None:
    page = _open(phone, live_url, settings, counter)
    expect(page.get_by_role("heading", level=1)).to_have_text("Đánh giá nhanh sự phục vụ tại Bộ phận một cửa")
    page.screenshot(path=str(artifact(f"form-phone-{backend}.png")), full_page=True)
    overall = page.get_by_role("group", name="Nói chung, Ông/Bà hài lòng thế nào với sự phục vụ hôm nay?")
    overall.get_by_label("4 Hài lòng", exact=True).check()
    page.get_by_text("Đánh giá chi tiết (không bắt buộc)").tap()
    page.get_by_role("group", name="Công chức tiếp nhận").get_by_label("5 Rất hài lòng").check()
    page.get_by_role("group", name="Lĩnh vực thủ tục").get_by_label("Hộ tịch").check()
    page.get_by_label("Góp ý thêm").fill("Cán bộ hướng dẫn tận tình")
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")
    page.screenshot(path=str(artifact(f"thanks-phone-{backend}.png")))
    page.go_back()  # back and send again: the page carries the same submission id
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")
    session.expire_all()
    stored = session.scalars(select(Response)).one()
    assert (stored.agency_id, stored.counter_id) == (counter.agency_id, counter.id)
    version = session.get(FormVersion, stored.form_version_id)
    assert version is not None and (version.form_id, version.version) == ("counter-quick", 1)
    answers = {a.item_code: (a.value_int, a.value_text) for a in session.scalars(select(Answer))}
    assert answers == {
        "overall": (4, None),
        "civil_servant_general": (5, None),
        "comment": (None, "Cán bộ hướng dẫn tận tình"),
    }
    assert session.get(Response, stored.id).procedure_field_id is not None


@layout_only
def test_reason_appears_only_when_dissatisfied_and_is_required(
    phone: BrowserContext, live_url: str, settings: Settings, session: Session, counter: Counter, backend: str
) -> None:
    page = _open(phone, live_url, settings, counter)
    reason = page.locator("#q-reason")
    expect(reason).to_be_hidden()
    page.get_by_role("group", name="Nói chung").get_by_label("2 Không hài lòng", exact=True).check()
    expect(reason).to_be_visible()
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("alert")).to_contain_text("Vui lòng trả lời câu hỏi này.")
    expect(page.locator("#e-reason")).to_have_text("Vui lòng trả lời câu hỏi này.")
    expect(page.get_by_role("group", name="Nói chung").get_by_label("2 Không hài lòng", exact=True)).to_be_checked()
    page.screenshot(path=str(artifact(f"form-error-{backend}.png")))
    assert session.scalars(select(Response)).first() is None
    reason.get_by_label("Chờ đợi lâu").check()
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")
    session.expire_all()
    assert session.scalars(select(Answer.value_json).where(Answer.item_code == "reason")).one() == ["waiting_time"]


@layout_only
def test_switch_to_english_and_back(phone: BrowserContext, live_url: str, settings: Settings, counter: Counter) -> None:
    page = _open(phone, live_url, settings, counter)
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quick feedback on service at the one-stop counter")
    expect(page.get_by_role("button", name="Send feedback")).to_be_visible()
    page.get_by_role("group", name="Overall").get_by_label("5 Very satisfied").check()
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")
    page.get_by_role("link", name="Tiếng Việt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")


@layout_only
def test_works_with_javascript_disabled(
    browser: Browser, live_url: str, settings: Settings, session: Session, counter: Counter, backend: str
) -> None:
    context = browser.new_context(**PHONE, java_script_enabled=False)
    context.set_default_timeout(5000)
    page = _open(context, live_url, settings, counter)
    page.get_by_role("group", name="Nói chung").get_by_label("3 Bình thường").check()
    page.get_by_text("Đánh giá chi tiết (không bắt buộc)").click()  # <details> opens without a script
    page.get_by_role("group", name="Kết quả giải quyết").get_by_label("4 Hài lòng", exact=True).check()
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")
    context.close()
    session.expire_all()
    assert sorted(session.scalars(select(Answer.item_code)).all()) == ["overall", "result_general"]


@layout_only
def test_bad_link_shows_the_vietnamese_not_found_page(phone: BrowserContext, live_url: str) -> None:
    page = phone.new_page()
    response = page.goto(f"{live_url}/f/k1.bad.token")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy phiếu đánh giá")


def _rows(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Response)) or 0)


def test_back_after_the_thanks_page_and_sending_again_stores_one_answer(
    phone: BrowserContext, live_url: str, settings: Settings, session: Session, counter: Counter
) -> None:
    """The browser puts the answers back on the page Back shows (it is fetched again: never cached); the page must
    carry the same submission id, or a second send stores a second, unflagged answer."""
    page = _open(phone, live_url, settings, counter)
    first_id = page.locator("input[name=submission_id]").input_value()
    page.get_by_role("group", name="Nói chung").get_by_label("4 Hài lòng", exact=True).check()
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("status")).to_contain_text("Phiếu này đã được gửi và ghi nhận")
    assert page.locator("input[name=submission_id]").input_value() == first_id
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")
    assert _rows(session) == 1
    # Someone else on the same phone: the form's link opens a new form, and that answer is stored too.
    page.go_back()
    page.get_by_role("link", name="Mở phiếu mới").click()
    expect(page.get_by_role("status")).to_have_count(0)
    assert page.locator("input[name=submission_id]").input_value() != first_id
    page.get_by_role("group", name="Nói chung").get_by_label("5 Rất hài lòng", exact=True).check()
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")
    assert _rows(session) == 2


@layout_only
def test_back_after_a_mistake_never_asks_to_resubmit(
    phone: BrowserContext, live_url: str, settings: Settings, session: Session, counter: Counter, backend: str
) -> None:
    """A page answering a POST cannot be shown again without re-posting ('Confirm form resubmission',
    net::ERR_CACHE_MISS): the form with its mistakes is reached by a redirect, so every page in the history is a
    GET."""
    page = _open(phone, live_url, settings, counter)
    page.get_by_role("group", name="Nói chung").get_by_label("2 Không hài lòng", exact=True).check()
    page.get_by_label("Góp ý thêm").fill("Chờ lâu")
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("alert")).to_contain_text("Vui lòng trả lời câu hỏi này.")
    expect(page.get_by_label("Góp ý thêm")).to_have_value("Chờ lâu")
    page.locator("#q-reason").get_by_label("Chờ đợi lâu").check()
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")
    for _ in range(2):  # the form as it was after the mistake, then as first opened
        response = page.go_back()
        assert response is not None and response.status == 200 and response.request.method == "GET"
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    page.screenshot(path=str(artifact(f"form-back-after-mistake-{backend}.png")))
    page.get_by_role("button", name="Gửi đánh giá").tap()  # and sending what Back shows adds nothing
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")
    assert _rows(session) == 1
