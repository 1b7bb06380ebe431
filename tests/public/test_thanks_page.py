"""The thank-you page offers what the agency configures: its hotline (a tel: link), where to complain (the agency's
channel, else the national public-service portal), its opening hours, each the agency's own or else its nearest
ancestor's; and, on a counter's link, a new form for someone else. Vietnamese by default, English on request; in a
real Chromium on a phone, axe-clean."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import BrowserContext, Page, expect
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.config import Environment, Settings
from app.demo import DEMO_HOTLINE, DEMO_OPENING_HOURS, DEMO_WARD_OPENING_HOURS
from app.directory.models import Agency, Counter
from app.directory.service import get_agency_by_code, get_counter
from app.links import service as links
from app.main import create_app
from tests.factories import counter_tree, registry
from tests.support.browser import artifact, axe_violations

PORTAL = "https://dichvucong.gov.vn/p/home/dvc-phan-anh-kien-nghi.html"
HOURS_VI = "Thứ Hai – Thứ Sáu: 7:30–11:30, 13:30–17:00"
HOURS_EN = "Monday to Friday 7:30–11:30 and 13:30–17:00"
COMMUNE_HOURS_VI = "Thứ Hai – Thứ Bảy: 7:00–11:30, 13:00–17:00"
COMMUNE_HOURS_EN = "Monday to Saturday 7:00–11:30 and 13:00–17:00"


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Read:
    """A page as a person reads it: the text of each item of the offers box, every link, every element whose
    language differs from the page's."""

    items: list[str] = field(default_factory=list)
    links: list[Element] = field(default_factory=list)
    foreign: list[Element] = field(default_factory=list)

    def link(self, text: str) -> dict[str, str]:
        [found] = [link for link in self.links if link.text == text]
        return found.attrs


# The page in a browser: what it offers is read from both databases by the HTTP tests above; SQLite only here.
layout_only = pytest.mark.parametrize("backend", ["sqlite"])


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.read = Read()
        self.open: list[Element] = []
        self.in_offers = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "section" and values.get("class") == "offers":
            self.in_offers = True
        if tag in {"a", "li"} or ("lang" in values and tag != "html"):
            self.open.append(Element(tag, values))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.in_offers = False
        if self.open and self.open[-1].tag == tag:
            element = self.open.pop()
            element.text = " ".join(element.text.split())
            if tag == "a":
                self.read.links.append(element)
            if tag == "li" and self.in_offers:
                self.read.items.append(element.text)
            if "lang" in element.attrs:
                self.read.foreign.append(element)

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data


def read(html: str) -> Read:
    reader = _Reader()
    reader.feed(html)
    return reader.read


@pytest.fixture
def tree(session: Session) -> tuple[Agency, Agency, Counter]:
    """Hanoi sets a hotline and opening hours in both languages; the commune sets nothing of its own."""
    province, commune, counter = counter_tree(session)
    province.hotline = "1900 1234"
    province.opening_hours_vi, province.opening_hours_en = HOURS_VI, HOURS_EN
    session.commit()
    return province, commune, counter


def thanks_path(settings: Settings, counter: Counter) -> str:
    return f"/f/{links.counter_token(settings, counter)}/thanks"


def test_a_commune_offers_its_province_hotline_and_hours_and_the_national_portal(
    client: TestClient, settings: Settings, tree: tuple[Agency, Agency, Counter]
) -> None:
    path = thanks_path(settings, tree[2])
    page = client.get(path)
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    seen = read(page.text)
    assert seen.items == [
        "Đường dây nóng 1900 1234",
        "Phản ánh, kiến nghị trên Cổng Dịch vụ công quốc gia",
        f"Giờ làm việc {HOURS_VI}",
    ]
    assert seen.link("1900 1234") == {"href": "tel:19001234"}
    assert seen.link("Phản ánh, kiến nghị") == {"href": PORTAL, "rel": "noopener noreferrer"}  # same tab
    token = path.removeprefix("/f/").removesuffix("/thanks")
    again = seen.link("Người khác muốn đánh giá trên máy này? Mở phiếu mới")
    assert again == {"href": f"/f/{token}/new?lang=vi"}
    assert [(element.attrs["lang"], element.text) for element in seen.foreign] == [
        ("en", "English"),
        ("en", "Thank you. Your feedback has been recorded and helps the office serve people better."),
    ]

    english = read(client.get(path + "?lang=en").text)
    assert english.items == [
        "Hotline 1900 1234",
        "Complaints and suggestions on the National Public Service Portal",
        f"Opening hours {HOURS_EN}",
    ]
    assert english.link("Complaints and suggestions") == {"href": PORTAL, "rel": "noopener noreferrer"}
    assert english.link("Someone else answering on this phone? Open a new form") == {"href": f"/f/{token}/new?lang=en"}


def test_the_nearest_agency_wins_value_by_value(
    client: TestClient, session: Session, settings: Settings, tree: tuple[Agency, Agency, Counter]
) -> None:
    _province, commune, counter = tree
    # The commune keeps the province's hotline, has its own complaint channel, and its own hours in Vietnamese
    # only: the English page shows them in Vietnamese (marked so), never the province's English hours.
    commune.complaint_url = "https://dichvucong.hanoi.gov.vn/phan-anh"
    commune.opening_hours_vi = COMMUNE_HOURS_VI
    session.commit()
    path = thanks_path(settings, counter)
    assert read(client.get(path).text).items == [
        "Đường dây nóng 1900 1234",
        "Phản ánh, kiến nghị trên trang dichvucong.hanoi.gov.vn",
        f"Giờ làm việc {COMMUNE_HOURS_VI}",
    ]
    english = client.get(path + "?lang=en")
    seen = read(english.text)
    assert seen.items == [
        "Hotline 1900 1234",
        "Complaints and suggestions on dichvucong.hanoi.gov.vn",
        f"Opening hours {COMMUNE_HOURS_VI}",
    ]
    assert seen.link("Complaints and suggestions")["href"] == "https://dichvucong.hanoi.gov.vn/phan-anh"
    assert f'<span lang="vi">{COMMUNE_HOURS_VI}</span>' in english.text
    # Its own hotline and English hours replace the province's.
    commune.hotline = "+84 24 3825 6789"
    commune.opening_hours_en = COMMUNE_HOURS_EN
    session.commit()
    seen = read(client.get(path + "?lang=en").text)
    assert seen.items[0] == "Hotline +84 24 3825 6789"
    assert seen.link("+84 24 3825 6789") == {"href": "tel:+842438256789"}
    assert seen.items[2] == f"Opening hours {COMMUNE_HOURS_EN}"


def test_nothing_configured_and_no_default_channel_offers_nothing_but_a_new_form(
    session: Session, settings: Settings
) -> None:
    counter = counter_tree(session)[2]
    app = create_app(settings.model_copy(update={"default_complaint_url": ""}))
    with TestClient(app) as client:
        page = client.get(thanks_path(settings, counter))
    app.state.engine.dispose()
    assert page.status_code == 200
    assert 'class="offers"' not in page.text and "Cần hỗ trợ thêm?" not in page.text
    assert [link.text for link in read(page.text).links] == [
        "English",
        "Người khác muốn đánh giá trên máy này? Mở phiếu mới",
    ]


def test_only_the_default_channel_when_no_agency_sets_anything(
    client: TestClient, session: Session, settings: Settings
) -> None:
    counter = counter_tree(session)[2]
    page = client.get(thanks_path(settings, counter))
    assert read(page.text).items == ["Phản ánh, kiến nghị trên Cổng Dịch vụ công quốc gia"]


def test_a_dossier_link_offers_the_same_but_no_new_form(
    client: TestClient, session: Session, settings: Settings, tree: tuple[Agency, Agency, Counter]
) -> None:
    counter = tree[2]
    _, token = links.mint_dossier_link(
        session, settings, registry(session, settings), agency=counter.agency, dossier_code="H26-0009", actor="test"
    )
    seen = read(client.get(f"/f/{token}/thanks").text)
    assert seen.items == [
        "Đường dây nóng 1900 1234",
        "Phản ánh, kiến nghị trên Cổng Dịch vụ công quốc gia",
        f"Giờ làm việc {HOURS_VI}",
    ]
    assert [link.text for link in seen.links] == ["English", "1900 1234", "Phản ánh, kiến nghị"]


def test_the_page_is_small_scriptless_and_safe_with_whatever_is_stored(
    client: TestClient, session: Session, settings: Settings, tree: tuple[Agency, Agency, Counter]
) -> None:
    tree[1].opening_hours_vi = "<b>8:00</b> & <script>alert(1)</script>"
    tree[1].complaint_url = "javascript:alert(1)"  # written to the database by hand: never a link
    session.commit()
    page = client.get(thanks_path(settings, tree[2]))
    assert read(page.text).link("Phản ánh, kiến nghị")["href"] == PORTAL
    assert len(page.content) < 50_000
    assert "<script" not in page.text and "<link" not in page.text and " src=" not in page.text
    assert "<span>&lt;b&gt;8:00&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</span>" in page.text
    assert read(page.text).items[2] == "Giờ làm việc <b>8:00</b> & <script>alert(1)</script>"


@pytest.mark.demo
@pytest.mark.parametrize("backend", ["sqlite"])  # what the demo sets is database-blind
def test_the_demo_province_offers_a_hotline_and_one_ward_its_own_hours(
    client: TestClient, session: Session, settings: Settings
) -> None:
    centre = get_counter(session, get_agency_by_code(session, "MA-TTPVHCC"), "Q01")  # the one `make run` prints
    assert read(client.get(thanks_path(settings, centre)).text).items == [
        f"Đường dây nóng {DEMO_HOTLINE}",
        "Phản ánh, kiến nghị trên Cổng Dịch vụ công quốc gia",
        f"Giờ làm việc {DEMO_OPENING_HOURS[0]}",
    ]
    ward = get_counter(session, get_agency_by_code(session, "MA-P01"), "Q01")
    assert read(client.get(thanks_path(settings, ward) + "?lang=en").text).items == [
        f"Hotline {DEMO_HOTLINE}",
        "Complaints and suggestions on the National Public Service Portal",
        f"Opening hours {DEMO_WARD_OPENING_HOURS[1]}",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("  https://dichvucong.hanoi.gov.vn/pakn  ", "https://dichvucong.hanoi.gov.vn/pakn"),
        ("http://pakn.example.vn", "http://pakn.example.vn"),
    ],
)
def test_the_default_complaint_channel_setting(value: str, expected: str) -> None:
    assert Settings(env=Environment.test, default_complaint_url=value).default_complaint_url == expected
    assert Settings(env=Environment.test).default_complaint_url == PORTAL


@pytest.mark.parametrize("value", ["dichvucong.gov.vn/p/home", "ftp://dichvucong.gov.vn/", "https://", "https://a b"])
def test_the_default_complaint_channel_setting_refuses_what_is_not_a_web_address(value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(env=Environment.test, default_complaint_url=value)
    [problem] = raised.value.errors()
    assert (problem["loc"], problem["msg"]) == (
        ("default_complaint_url",),
        f"Value error, {value!r} is not an absolute https:// address (leave it empty for no default link)",
    )


# --- in Chromium, on a phone ------------------------------------------------------------------------------


def _fits(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@layout_only
def test_answering_at_a_commune_counter_ends_with_what_the_province_offers(
    phone: BrowserContext, live_url: str, settings: Settings, tree: tuple[Agency, Agency, Counter]
) -> None:
    page = phone.new_page()
    page.goto(f"{live_url}/f/{links.counter_token(settings, tree[2])}")
    overall = page.get_by_role("group", name="Nói chung, Ông/Bà hài lòng thế nào với sự phục vụ hôm nay?")
    overall.get_by_label("5 Rất hài lòng", exact=True).check()
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")
    offers = page.get_by_role("region", name="Cần hỗ trợ thêm?")
    hotline = offers.get_by_role("link", name="1900 1234")
    expect(hotline).to_have_attribute("href", "tel:19001234")
    complaint = offers.get_by_role("link", name="Phản ánh, kiến nghị")
    expect(complaint).to_have_attribute("href", PORTAL)
    expect(complaint).not_to_have_attribute("target", "_blank")
    expect(offers.get_by_role("listitem").nth(2)).to_have_text(f"Giờ làm việc {HOURS_VI}")
    for link in (hotline, complaint):  # thumb-sized, and on the first screen
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44 and box["y"] + box["height"] <= 740
    page.screenshot(path=str(artifact("thanks-360-vi.png")), full_page=True)
    assert axe_violations(page) == []
    _fits(page, 320)

    page.set_viewport_size({"width": 360, "height": 740})
    page.get_by_role("link", name="English").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")
    offers = page.get_by_role("region", name="Need more help?")
    expect(offers.get_by_role("link", name="1900 1234")).to_have_attribute("href", "tel:19001234")
    expect(offers.get_by_role("link", name="Complaints and suggestions")).to_have_attribute("href", PORTAL)
    expect(offers.get_by_role("listitem").nth(2)).to_have_text(f"Opening hours {HOURS_EN}")
    page.screenshot(path=str(artifact("thanks-360-en.png")), full_page=True)
    assert axe_violations(page) == []
    _fits(page, 320)

    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(artifact("thanks-1440.png")), full_page=True)
    page.close()
