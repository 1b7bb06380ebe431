"""The management pages in a real Chromium, as a province administrator does the job: upload a population-count CSV
with mistakes and read each one's line and column, then a good file and see the counts it stored; edit one count;
add a target and find it listed, with the agencies below inheriting it; add an official with a weak password
(refused with the service's own message), then a strong one, reset the password and deactivate the account.

Every page, in Vietnamese and English, passes axe-core (WCAG 2.x A and AA) and fits a 390 px phone without sideways
scrolling; each is photographed at 390 and 1440 px (``test-artifacts/manage-*-390.png`` and ``-1440.png``). What is
shown does not depend on the database (the services' SQL is tested on both in test_manage_pages.py): SQLite only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Official, Role
from app.errors import Invalid
from app.officials import passwords
from app.officials.service import create_official
from app.reference.models import PopulationCount, Target
from tests.factories import PASSWORD, minh_an_tree
from tests.support.browser import artifact, axe_violations

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
WEAK = "password123"
STRONG = "violet kettle harbour sings"
NEWER = "copper meadow lantern drifts"
BAD_CSV = (
    "agency,period_start,period_end,dossiers_handled\n"
    "MA-X01,2026-01-01,2026-01-31,120\n"
    "MA-STP,2026-01-01,2026-01-31,abc\n"
    "MA-NOPE,2026-01-01,2026-01-31,80\n"
    "MA-TTPVHCC,2026-02-30,2026-02-28,50\n"
)
GOOD_CSV = (
    "agency,period_start,period_end,dossiers_handled,procedure_field\n"
    "MA-X01,2026-01-01,2026-01-31,120,\n"
    "MA-STP,2026-01-01,2026-01-31,95,\n"
    "MA-TTPVHCC,2026-01-01,2026-01-31,1250,\n"
)


# What sticks out of a 390 px page: the outermost elements wider than the window, for the failure message.
WIDER = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth)
  .filter(e => e.parentElement.getBoundingClientRect().right <= innerWidth)
  .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    context.set_default_timeout(30_000)
    yield context
    context.close()


def resize(page: Page, viewport: ViewportSize) -> None:
    """A new window size, and the page laid out again for it (two frames)."""
    page.set_viewport_size(viewport)
    # Not wait_for_function: it evaluates a string, which the pages' content security policy forbids.
    for _ in range(100):
        if page.evaluate("window.innerWidth") == viewport["width"]:
            break
        page.wait_for_timeout(20)
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def check(page: Page, name: str) -> None:
    """The page as it is now: axe-core finds nothing at 1440 px, nothing scrolls sideways at 390 px; photographed at
    both widths."""
    resize(page, PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (page.url, width, page.evaluate(WIDER))
    page.screenshot(path=str(artifact(f"manage-{name}-390.png")), full_page=True)
    resize(page, DESKTOP)
    page.screenshot(path=str(artifact(f"manage-{name}-1440.png")), full_page=True)
    assert axe_violations(page) == [], page.url


def check_english(page: Page) -> None:
    """The same page in English: no Vietnamese heading left, axe-core finds nothing, no sideways scroll at 390 px."""
    page.get_by_test_id("lang-switch").click()  # from a form's answer: its page, without what was typed
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert axe_violations(page) == [], page.url
    resize(page, PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
    resize(page, DESKTOP)
    page.get_by_test_id("lang-switch").click()  # back to Vietnamese (remembered in a cookie)
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def refusal_of(password: str, username: str, display_name: str) -> str:
    """What the password rule of app/officials/passwords.py says of ``password``, without its field name."""
    with pytest.raises(Invalid) as refused:
        passwords.check(password, username=username, display_name=display_name)
    return refused.value.message.removeprefix("password: ")


@pytest.fixture
def admin_page(context: BrowserContext, live_url: str, session: Session) -> Page:
    """Tỉnh Minh An's administrator, logged in through the form on the way to the management index."""
    tree = minh_an_tree(session)
    create_official(
        session,
        username="ma-admin",
        password=PASSWORD,
        role=Role.province_admin,
        agency=tree["MA"],  # type: ignore[arg-type]
        display_name="Quản trị Minh An",
    )
    session.commit()
    page = context.new_page()
    page.goto(f"{live_url}/dashboard/manage")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next="))
    page.get_by_label("Tên đăng nhập").fill("ma-admin")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_url}/dashboard/manage")
    return page


@pytest.mark.slow
def test_population_counts_a_refused_file_then_a_stored_one_then_one_count_edited(
    admin_page: Page, session: Session
) -> None:
    page = admin_page
    # The index: one "Quản trị" entry in the navigation, links to every management page (the counters' and kiosks'
    # pages too).
    expect(page.get_by_test_id("nav-manage")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("manage-index").get_by_role("link")).to_have_count(5)
    check(page, "index")
    check_english(page)

    # --- population counts: a file with mistakes, every one with its line and column; nothing stored ---
    page.get_by_test_id("manage-counts-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Số hồ sơ đã giải quyết")
    expect(page.get_by_test_id("no-counts")).to_be_visible()
    check(page, "counts")
    check_english(page)
    page.get_by_label("Tệp CSV", exact=True).set_input_files(
        {"name": "so-lieu-thang-1.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}
    )
    page.get_by_label("Lý do / nguồn số liệu").fill("Báo cáo tháng 1/2026 của Sở Nội vụ, số 12/BC")
    page.get_by_test_id("upload").click()
    refused = page.get_by_test_id("upload-errors").locator("tbody tr")
    expect(refused).to_have_count(3)
    where = [(row.get_attribute("data-line"), row.get_attribute("data-column")) for row in refused.all()]
    assert where == [("3", "dossiers_handled"), ("4", "agency"), ("5", "period_start")]
    expect(refused.nth(0)).to_contain_text("'abc' must be a whole number")
    expect(refused.nth(1)).to_contain_text("no agency with code 'MA-NOPE'")
    expect(refused.nth(2)).to_contain_text("'2026-02-30' is not a date")
    expect(page.get_by_test_id("upload-refused")).to_contain_text("không số nào được lưu: 3 lỗi")
    assert session.scalar(select(PopulationCount.id)) is None  # all or nothing
    check(page, "counts-refused")

    page.get_by_label("Tệp CSV", exact=True).set_input_files(
        {"name": "so-lieu-thang-1.csv", "mimeType": "text/csv", "buffer": GOOD_CSV.encode()}
    )
    page.get_by_label("Lý do / nguồn số liệu").fill("Báo cáo tháng 1/2026 của Sở Nội vụ, số 12/BC")
    page.get_by_test_id("upload").click()
    expect(page.get_by_test_id("upload-stored")).to_contain_text("Đã lưu tệp: 3 dòng (3 số mới, 0 số cập nhật)")
    stored = page.get_by_test_id("upload-changes").locator("tbody tr")
    expect(stored).to_have_count(3)
    expect(page.get_by_test_id("upload-changes").locator('tr[data-key="MA-TTPVHCC//2026-01-01"]')).to_contain_text(
        "1.250"
    )
    counts_table = page.get_by_test_id("counts-table").locator("tbody tr")
    expect(counts_table).to_have_count(3)
    expect(counts_table.nth(0)).to_contain_text("01/01/2026 – 31/01/2026")
    check(page, "counts-stored")

    # One count edited: the reason is required (the service's rule), then it is saved.
    page.get_by_test_id("counts-table").locator('tr[data-key="MA-STP//2026-01-01"]').get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sửa số hồ sơ đã giải quyết")
    page.get_by_label("Số hồ sơ đã giải quyết").fill("110")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("problems")).to_contain_text("Lý do / nguồn số liệu: bắt buộc nhập")
    expect(page.get_by_label("Lý do / nguồn số liệu")).to_have_attribute("aria-invalid", "true")
    check(page, "count-edit")
    check_english(page)  # the form reloaded: what was typed is gone
    page.get_by_label("Số hồ sơ đã giải quyết").fill("110")
    page.get_by_label("Lý do / nguồn số liệu").fill("Sở gửi lại số liệu sau rà soát (công văn 45/SNV)")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("done")).to_have_text("✓ Đã lưu thay đổi.")
    expect(page.get_by_test_id("counts-table").locator('tr[data-key="MA-STP//2026-01-01"]')).to_contain_text("110")


@pytest.mark.slow
def test_a_target_for_the_province_is_listed_and_inherited_below_it(
    admin_page: Page, session: Session, settings: Settings
) -> None:
    page, year = admin_page, datetime.now(settings.zone).year
    page.get_by_test_id("manage-targets-link").click()
    expect(page.get_by_test_id("no-targets")).to_be_visible()
    page.get_by_test_id("new-target").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thêm mục tiêu")
    page.get_by_label("Cơ quan", exact=True).select_option("MA")
    page.get_by_label("Chỉ số", exact=True).select_option("sipas")
    page.get_by_label("Từ ngày").fill(f"{year}-01-01")
    page.get_by_label("Đến ngày (tính cả ngày này)").fill(f"{year}-12-31")
    page.get_by_label("Mục tiêu (%)").fill("120")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("problems")).to_contain_text("Mục tiêu (%): phải không quá 100")
    check(page, "target-form")
    check_english(page)  # the form reloaded: what was typed is gone
    page.get_by_label("Cơ quan", exact=True).select_option("MA")
    page.get_by_label("Chỉ số", exact=True).select_option("sipas")
    page.get_by_label("Từ ngày").fill(f"{year}-01-01")
    page.get_by_label("Đến ngày (tính cả ngày này)").fill(f"{year}-12-31")
    page.get_by_label("Mục tiêu (%)").fill("86,5")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("done")).to_have_text("✓ Đã thêm.")
    listed = page.get_by_test_id("targets-table").locator("tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Tỉnh Minh An")
    expect(listed.first).to_contain_text(f"01/01/{year} – 31/12/{year}")
    expect(listed.first).to_contain_text("86,50%")
    expect(listed.first).to_contain_text("Cơ quan này và cấp dưới")
    target = session.scalars(select(Target)).one()
    assert (float(target.threshold_pct), target.applies_to_subtree) == (86.5, True)
    in_force = page.get_by_test_id("in-force-table")  # today's targets, by the verdicts' rule
    expect(in_force.locator('tr[data-key="MA/sipas"]')).to_have_attribute("data-source", "own")
    expect(in_force.locator('tr[data-key="MA-X01/sipas"]')).to_contain_text("Kế thừa từ Tỉnh Minh An")
    expect(in_force.locator('tr[data-key="MA-X01/sipas"]')).to_contain_text("86,50%")
    check(page, "targets")
    check_english(page)


@pytest.mark.slow
def test_an_official_refused_a_weak_password_then_created_reset_and_deactivated(
    admin_page: Page, live_url: str, session: Session
) -> None:
    page = admin_page
    page.get_by_test_id("manage-officials-link").click()
    expect(page.get_by_test_id("officials-table").locator("tbody tr")).to_have_count(1)  # the admin alone
    check(page, "officials")
    check_english(page)
    page.get_by_test_id("new-official").click()
    page.get_by_label("Tên đăng nhập").fill("lan.nguyen")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    page.get_by_label("Vai trò").select_option("agency_official")
    page.get_by_label("Cơ quan", exact=True).select_option("MA-X01")
    page.get_by_label("Mật khẩu ban đầu").fill(WEAK)
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("problems")).to_contain_text(refusal_of(WEAK, "lan.nguyen", "Nguyễn Thị Lan"))
    expect(page.get_by_label("Mật khẩu ban đầu")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Mật khẩu ban đầu")).to_have_value("")  # a password is never sent back
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("lan.nguyen")
    assert session.scalar(select(Official).where(Official.username == "lan.nguyen")) is None
    check(page, "official-new")
    check_english(page)  # the form reloaded: what was typed is gone
    page.get_by_label("Tên đăng nhập").fill("lan.nguyen")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    page.get_by_label("Vai trò").select_option("agency_official")
    page.get_by_label("Cơ quan", exact=True).select_option("MA-X01")
    page.get_by_label("Mật khẩu ban đầu").fill(STRONG)
    page.get_by_test_id("save").click()
    expect(page).to_have_url(f"{live_url}/dashboard/manage/official/lan.nguyen?done=created")
    expect(page.get_by_test_id("official-facts")).to_contain_text("Xã An Bình")
    expect(page.get_by_test_id("official-status")).to_have_text("Đang dùng")

    page.get_by_label("Mật khẩu mới").fill(NEWER)
    page.get_by_test_id("reset").click()
    expect(page.get_by_test_id("done")).to_contain_text("Đã đặt lại mật khẩu")
    session.expire_all()
    official = session.scalars(select(Official).where(Official.username == "lan.nguyen")).one()
    assert passwords.verify(official.password_hash, NEWER)
    assert not passwords.verify(official.password_hash, STRONG)

    page.get_by_test_id("deactivate").click()
    expect(page.get_by_test_id("done")).to_contain_text("Đã ngừng tài khoản")
    expect(page.get_by_test_id("official-status")).to_have_text("Đã ngừng")
    expect(page.get_by_test_id("reactivate")).to_be_visible()
    check(page, "official")
    check_english(page)
    session.expire_all()
    assert session.scalars(select(Official.active).where(Official.username == "lan.nguyen")).one() is False

    # The list now shows both accounts, the new one deactivated.
    page.get_by_role("link", name="← Cán bộ").click()
    row = page.get_by_test_id("officials-table").locator('tr[data-key="lan.nguyen"]')
    expect(row).to_contain_text("Đã ngừng")
    expect(row).to_contain_text("Cán bộ cơ quan (chỉ xem)")
