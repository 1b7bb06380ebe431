"""The kiosk page on a tablet, in a real Chromium: set up with a device key, answer offline, reload offline (the
service worker serves the page), come back online and every queued answer is stored exactly once — also when
the server dies after storing a batch but before the tablet heard the answer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Device
from app.directory.service import create_device, revoke_device
from app.http_protocol import HTTP_PROTOCOL
from app.kiosk.router import page_router as kiosk_page_router
from app.main import create_app
from app.responses.models import Answer, Channel, Response
from tests.factories import counter_tree
from tests.support.browser import artifact
from tests.support.live import free_port

ROOT = Path(__file__).resolve().parents[2]
FORM_TITLE = "Đánh giá nhanh sự phục vụ tại Bộ phận một cửa"
LEVELS = {1: "Rất không hài lòng", 2: "Không hài lòng", 3: "Bình thường", 4: "Hài lòng", 5: "Rất hài lòng"}


def with_kiosk_page(application: FastAPI) -> FastAPI:
    """The app with the kiosk page (a no-op once app.main includes the page's router)."""
    if not any(getattr(route, "path", "") == "/kiosk" for route in application.routes):
        application.include_router(kiosk_page_router)
    return application


def kiosk_app() -> FastAPI:
    """The factory the separately started server runs (uvicorn --factory)."""
    return with_kiosk_page(create_app())


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    return with_kiosk_page(app)


@pytest.fixture
def device_key(session: Session) -> tuple[Device, str]:
    _, commune, counter = counter_tree(session)
    device, key = create_device(session, agency=commune, counter=counter, label="tablet at Q01")
    session.commit()
    return device, key


@pytest.fixture
def tablet(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport={"width": 800, "height": 1280},  # a 10" tablet, portrait
        has_touch=True,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        service_workers="allow",
    )
    context.set_default_timeout(20_000)
    yield context
    context.close()


def set_up(context: BrowserContext, base_url: str, key: str) -> Page:
    """Open /kiosk, paste the key, and wait until the service worker has cached the page for offline use."""
    page = context.new_page()
    page.goto(f"{base_url}/kiosk")
    page.get_by_label("Khóa thiết bị").fill(key)
    page.get_by_role("button", name="Lưu và bắt đầu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    return page


def answer(
    page: Page, overall: int, *, reason: str | None = None, comment: str | None = None, thanks: bool = True
) -> None:
    page.get_by_role("group", name=re.compile("^Nói chung")).get_by_role(
        "radio", name=f"{overall} {LEVELS[overall]}"
    ).tap()
    if reason:
        page.get_by_role("group", name=re.compile("chưa hài lòng")).get_by_role("checkbox", name=reason).tap()
    if comment:
        page.get_by_label("Góp ý thêm").fill(comment)
    page.get_by_role("button", name="Gửi đánh giá").tap()
    if thanks:
        expect(page.get_by_role("heading", level=1)).to_have_text("Cảm ơn Ông/Bà!")


def next_person(page: Page) -> None:
    """Tap the thank-you screen instead of waiting for it to go away by itself."""
    page.locator("#thanks").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE)


def pending(page: Page) -> int:
    return int(page.evaluate("window.sipasKiosk.pending()"))


def wait_until_sent(page: Page, timeout_s: float) -> float:
    """Seconds until the kiosk's queue is empty."""
    started = time.monotonic()
    while pending(page):
        assert time.monotonic() - started < timeout_s, f"still {pending(page)} answers queued after {timeout_s} s"
        page.wait_for_timeout(200)
    return time.monotonic() - started


def stored_ids(session: Session) -> list[uuid.UUID]:
    session.expire_all()
    return list(session.scalars(select(Response.submission_id)))


def test_page_script_and_worker_are_served(client: TestClient) -> None:
    page = client.get("/kiosk")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert '<script src="/kiosk/app.js" defer>' in page.text
    assert ".choices label" in page.text  # the citizen pages' stylesheet, inlined
    script = client.get("/kiosk/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "window.sipasKiosk" in script.text
    worker = client.get("/kiosk/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"] == "text/javascript; charset=utf-8"
    assert worker.headers["service-worker-allowed"] == "/kiosk"
    assert worker.headers["cache-control"] == "no-cache"
    assert not [path for path in client.get("/openapi.json").json()["paths"] if path.startswith("/kiosk")]


def test_answer_offline_reload_offline_then_every_answer_is_stored_once(
    tablet: BrowserContext, live_url: str, session: Session, device_key: tuple[Device, str], backend: str
) -> None:
    device, key = device_key
    page = set_up(tablet, live_url, key)
    # The count is kept current in the staff panel, which citizens do not see (test_kiosk_citizen_browser.py).
    expect(page.locator("#pending")).to_have_text("Chờ gửi: 0")
    expect(page.locator("#pending")).to_be_hidden()
    page.screenshot(path=str(artifact(f"kiosk-form-{backend}.png")), full_page=True)
    tablet.set_offline(True)
    started = time.monotonic()
    answer(page, 5)
    page.screenshot(path=str(artifact(f"kiosk-thanks-{backend}.png")))
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE, timeout=10_000)  # back by itself after ~3 s
    answer(page, 4, comment="Cán bộ hướng dẫn tận tình")
    next_person(page)
    answer(page, 2, reason="Chờ đợi lâu")
    next_person(page)
    answer(page, 1, reason="Thái độ công chức")
    next_person(page)
    answer(page, 3)
    next_person(page)
    expect(page.locator("#pending")).to_have_text("Chờ gửi: 5")
    queued = page.evaluate("window.sipasKiosk.queued()")
    assert [item["submitted_at"][-6:] for item in queued] == ["+07:00"] * 5  # device time, with its offset
    assert [item["answers"] for item in queued] == [
        {"overall": 5},
        {"overall": 4, "comment": "Cán bộ hướng dẫn tận tình"},
        {"overall": 2, "reason": ["waiting_time"]},
        {"overall": 1, "reason": ["attitude"]},
        {"overall": 3},
    ]
    page.reload()  # still offline: the service worker brings the page back, the queue is still there
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE)
    expect(page.locator("#pending")).to_have_text("Chờ gửi: 5")
    assert stored_ids(session) == []
    tablet.set_offline(False)  # the "online" event starts a sync
    synced_in = wait_until_sent(page, timeout_s=40)
    expect(page.locator("#pending")).to_have_text("Chờ gửi: 0")
    print(f"offline test: {time.monotonic() - started:.1f} s, sync after going online {synced_in:.1f} s")
    assert sorted(stored_ids(session)) == sorted(uuid.UUID(item["submission_id"]) for item in queued)
    rows = session.scalars(select(Response)).all()
    assert {(row.channel, row.device_id, row.counter_id) for row in rows} == {
        (Channel.kiosk, device.id, device.counter_id)
    }
    session.refresh(device)
    assert (device.app_version, device.queue_length, device.held_back) == ("kiosk-web/1", 0, 0)


def test_required_skip_rule_language_and_idle_reset(
    tablet: BrowserContext, live_url: str, session: Session, device_key: tuple[Device, str]
) -> None:
    tablet.clock.install()  # a controllable clock for the idle timeout
    page = set_up(tablet, live_url, device_key[1])
    reason = page.locator("#q-reason")
    expect(reason).to_be_hidden()
    page.get_by_role("button", name="Gửi đánh giá").tap()  # nothing answered: the message sits by the question
    expect(page.locator("#e-overall")).to_have_text("Vui lòng trả lời câu hỏi này.")
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE)
    page.get_by_role("radio", name="2 Không hài lòng").first.tap()
    expect(page.locator("#e-overall")).to_be_hidden()
    expect(reason).to_be_visible()  # asked only after a 1 or a 2
    page.get_by_role("button", name="Gửi đánh giá").tap()
    expect(page.locator("#e-reason")).to_have_text("Vui lòng trả lời câu hỏi này.")
    page.screenshot(path=str(artifact("kiosk-required.png")))
    page.get_by_role("radio", name="4 Hài lòng").first.tap()
    expect(reason).to_be_hidden()

    page.get_by_role("button", name="English").tap()  # answers survive the switch
    expect(page.get_by_role("heading", level=1)).to_have_text("Quick feedback on service at the one-stop counter")
    expect(page.get_by_role("radio", name="4 Satisfied").first).to_be_checked()
    expect(page.locator("#pending")).to_have_text("Waiting to send: 0")
    page.get_by_role("button", name="Send feedback").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")
    page.clock.fast_forward(3500)  # the thank-you screen goes by itself; the next person starts in Vietnamese
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE)
    expect(page.get_by_role("radio", name="4 Hài lòng").first).not_to_be_checked()

    page.get_by_role("radio", name="5 Rất hài lòng").first.tap()  # someone walks away mid-form
    page.get_by_label("Góp ý thêm").fill("nửa chừng")
    page.clock.fast_forward(30_000)
    expect(page.get_by_label("Góp ý thêm")).to_have_value("nửa chừng")
    page.clock.fast_forward(31_000)
    expect(page.get_by_label("Góp ý thêm")).to_have_value("")
    expect(page.get_by_role("radio", name="5 Rất hài lòng").first).not_to_be_checked()
    wait_until_sent(page, timeout_s=30)
    session.expire_all()
    answers = session.scalars(select(Answer)).all()
    assert [(a.item_code, a.value_int) for a in answers] == [("overall", 4)]  # the English answer; nothing else


def test_refused_answers_are_held_back_and_a_revoked_key_keeps_the_queue(
    tablet: BrowserContext, live_url: str, session: Session, device_key: tuple[Device, str]
) -> None:
    device, key = device_key
    page = set_up(tablet, live_url, key)
    answer(page, 5)
    next_person(page)
    wait_until_sent(page, timeout_s=30)
    # The same submission id with other answers (a conflict), and an answer to a form version the server
    # does not know (invalid), written straight into the kiosk's queue as an older app version might have.
    sent = page.evaluate("window.sipasKiosk.queued()")
    assert sent == []
    first_id = str(stored_ids(session)[0])
    page.evaluate(
        """([firstId, now]) => new Promise((resolve, reject) => {
            const open = indexedDB.open("sipas-kiosk");
            open.onsuccess = () => {
                const tx = open.result.transaction("queue", "readwrite");
                const queue = tx.objectStore("queue");
                const item = (id, version, answers) => ({submission: {submission_id: id, form_id: "counter-quick",
                    form_version: version, submitted_at: now, answers}});
                queue.add(item(firstId, 1, {overall: 1, reason: ["other"]}));
                queue.add(item(crypto.randomUUID(), 99, {overall: 3}));
                tx.oncomplete = () => { open.result.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
            };
        })""",
        [first_id, "2026-11-20T09:15:00+07:00"],
    )
    page.evaluate("window.sipasKiosk.syncNow()")
    assert (pending(page), page.evaluate("window.sipasKiosk.held()")) == (0, 2)
    expect(page.locator("#held")).to_have_text("Giữ lại: 2")
    session.refresh(device)
    assert (device.queue_length, device.held_back) == (0, 2)
    assert len(stored_ids(session)) == 1

    revoke_device(session, key_prefix=device.key_prefix)
    session.commit()
    # Queued, sent, refused with 401: the setup screen asks for a new key (it may replace the thank-you screen
    # before anyone sees it, so that screen is not awaited here).
    answer(page, 4, thanks=False)
    expect(page.get_by_role("alert")).to_contain_text("Máy chủ không còn nhận khóa của máy này")
    expect(page.locator("#pending")).to_have_text("Chờ gửi: 1")
    page.screenshot(path=str(artifact("kiosk-revoked.png")))
    page.get_by_label("Khóa thiết bị").fill(key)
    page.get_by_role("button", name="Lưu và bắt đầu").tap()
    expect(page.locator("#key-error")).to_have_text("Máy chủ không nhận khóa này (sai hoặc đã bị thu hồi).")
    _, new_key = create_device(session, agency=device.agency, counter=device.counter)
    session.commit()
    page.get_by_label("Khóa thiết bị").fill(new_key)
    page.get_by_role("button", name="Lưu và bắt đầu").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE)
    wait_until_sent(page, timeout_s=30)
    assert len(stored_ids(session)) == 2


class Server:
    """The app in a process of its own on a fixed port, so that a test can kill -9 it and start it again."""

    def __init__(self, settings: Settings, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.port = port
        self.env = {
            **os.environ,
            "SIPAS_ENV": "test",
            "SIPAS_DATABASE_URL": settings.database_url,
            "SIPAS_SECRETS_FILE": str(settings.secrets_file),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        factory = f"{__name__}:kiosk_app"
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            factory,
            "--factory",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--http",
            HTTP_PROTOCOL,
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        # Two seconds on an idle machine; over 20 s happened in CI while three other workers and their Chromiums
        # shared the two cores (the import of the app alone is ~2 s of CPU).
        deadline = time.monotonic() + 90
        while True:
            assert self.process.poll() is None, "the server exited while starting"
            assert time.monotonic() < deadline, "the server did not start within 90 s"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    assert settings.secrets_file.exists()  # the separate process must use the test's keys
    running = Server(settings, free_port())
    running.start()
    yield running
    running.kill()


@pytest.mark.slow
def test_server_killed_after_storing_a_batch_loses_nothing_and_stores_nothing_twice(
    tablet: BrowserContext, server: Server, session: Session, device_key: tuple[Device, str]
) -> None:
    device, key = device_key
    page = set_up(tablet, server.url, key)
    tablet.set_offline(True)
    started = time.monotonic()
    answered = 30
    for number in range(answered):
        overall = number % 5 + 1
        answer(page, overall, reason="Chờ đợi lâu" if overall <= 2 else None)
        next_person(page)
    print(f"{answered} answers through the UI: {time.monotonic() - started:.1f} s")
    expect(page.locator("#pending")).to_have_text(f"Chờ gửi: {answered}")
    queued = {uuid.UUID(item["submission_id"]) for item in page.evaluate("window.sipasKiosk.queued()")}
    assert len(queued) == answered

    relayed: list[dict[str, int]] = []

    def store_then_die(route: Route) -> None:
        # The server receives and stores the whole batch, then dies before the tablet hears the answer.
        relayed.append(route.fetch().json()["counts"])
        server.kill()
        route.abort("connectionreset")

    page.route("**/api/v1/responses/batch", store_then_die, times=1)
    tablet.set_offline(False)
    deadline = time.monotonic() + 20
    while not relayed:
        assert time.monotonic() < deadline, "the kiosk did not send its queue after going online"
        page.wait_for_timeout(100)
    assert relayed == [{"stored": answered, "duplicate": 0, "conflict": 0, "invalid": 0}]
    assert set(stored_ids(session)) == queued
    assert pending(page) == answered  # the tablet never heard "stored": it keeps every answer

    page.reload()  # the server is down: the service worker serves the page
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE)
    expect(page.locator("#pending")).to_have_text(f"Chờ gửi: {answered}")

    server.start()
    recovered_in = wait_until_sent(page, timeout_s=70)  # backoff is capped at 60 s; usually a few seconds
    print(f"queue empty {recovered_in:.1f} s after the restart")
    expect(page.locator("#pending")).to_have_text("Chờ gửi: 0")
    ids = stored_ids(session)
    assert len(ids) == answered and set(ids) == queued
    assert session.scalar(select(func.count()).select_from(Response).where(Response.device_id == device.id)) == answered
