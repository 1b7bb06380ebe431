// SIPAS kiosk: a quick form on a tablet at a counter (docs/kiosk-api.md).
// Every answer is written to an IndexedDB queue first; a sync loop sends the queue in batches and an answer
// leaves the queue only once the server said "stored" or "duplicate" for it. "conflict" and "invalid" answers
// are moved to a "held" store (never retried, never lost) and reported in the heartbeat.
"use strict";

(() => {
  const APP_VERSION = "kiosk-web/1";
  const FORM_ID = "counter-quick";
  const BATCH_SIZE = 100;
  const THANKS_MS = 3000;
  const IDLE_MS = 60000;
  const HEARTBEAT_MS = 60000;
  const REQUEST_TIMEOUT_MS = 30000;
  const BACKOFF_BASE_MS = 1000;
  const BACKOFF_CAP_MS = 60000;
  const KEY_STORAGE = "sipas.kiosk.key";
  const PLACE_STORAGE = "sipas.kiosk.place"; // {agency_name, counter_name} of the last heartbeat, as JSON
  const LONG_PRESS_MS = 2000; // staff hold the header this long to see the queue
  const STAFF_MS = 30000; // the staff panel closes by itself
  const TEXT_LIMITS = { short_text: 200, comment: 1000 };

  const WORDS = {
    vi: {
      switch: "English",
      intro: "Phiếu ẩn danh, chưa đến 1 phút. Câu có dấu * là bắt buộc.",
      required_mark: "bắt buộc",
      submit: "Gửi đánh giá",
      required: "Vui lòng trả lời câu hỏi này.",
      details: "Đánh giá chi tiết (không bắt buộc)",
      many: "Chọn một hoặc nhiều",
      clear: "Bỏ chọn",
      max_chars: "Tối đa {n} ký tự",
      privacy: "Không thu thập họ tên hay số điện thoại.",
      thanks_title: "Cảm ơn Ông/Bà!",
      thanks_body: "Ý kiến của Ông/Bà đã được ghi nhận và giúp cơ quan phục vụ tốt hơn.",
      pending: "Chờ gửi: {n}",
      held: "Giữ lại: {n}",
      offline: "Mất kết nối",
      staff: "Trạng thái máy (nhân viên)",
      staff_setup: "Đổi khóa thiết bị",
      staff_close: "Đóng",
      page_title: "SIPAS – Đánh giá tại quầy",
      loading: "Đang tải phiếu…",
      unavailable: "Chưa tải được phiếu. Máy sẽ tự thử lại.",
      setup_title: "Cài đặt máy đánh giá",
      key_label: "Khóa thiết bị",
      key_help: "Dán khóa do lệnh “sipas kiosk create” in ra. Khóa chỉ được lưu trên máy này.",
      key_save: "Lưu và bắt đầu",
      key_missing: "Vui lòng dán khóa thiết bị.",
      key_wrong: "Máy chủ không nhận khóa này (sai hoặc đã bị thu hồi).",
      revoked:
        "Máy chủ không còn nhận khóa của máy này (đã bị thu hồi hoặc không đúng). " +
        "Các phiếu chưa gửi vẫn được giữ trên máy; vui lòng nhập khóa mới.",
    },
    en: {
      switch: "Tiếng Việt",
      intro: "Anonymous, under a minute. Questions marked * are required.",
      required_mark: "required",
      submit: "Send feedback",
      required: "Please answer this question.",
      details: "Detailed rating (optional)",
      many: "Choose one or more",
      clear: "Clear",
      max_chars: "At most {n} characters",
      privacy: "We do not collect names or phone numbers.",
      thanks_title: "Thank you!",
      thanks_body: "Your feedback has been recorded and helps the office serve people better.",
      pending: "Waiting to send: {n}",
      held: "Held back: {n}",
      offline: "Offline",
      staff: "Kiosk status (staff)",
      staff_setup: "Change the device key",
      staff_close: "Close",
      page_title: "SIPAS – Counter feedback",
      loading: "Loading the form…",
      unavailable: "The form could not be loaded yet. The kiosk will try again.",
      setup_title: "Set up this kiosk",
      key_label: "Device key",
      key_help: "Paste the key printed by “sipas kiosk create”. It is kept on this tablet only.",
      key_save: "Save and start",
      key_missing: "Please paste the device key.",
      key_wrong: "The server does not accept this key (wrong or revoked).",
      revoked:
        "The server no longer accepts this kiosk's key (revoked or wrong). " +
        "Unsent answers are kept on this tablet; please enter a new key.",
    },
  };

  const $ = (id) => document.getElementById(id);
  const say = (word, values = {}) => WORDS[lang][word].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  let lang = "vi";
  let key = localStorage.getItem(KEY_STORAGE);
  let form = null;
  let screen = "loading";
  let revoked = false;
  let thanksTimer = 0;
  let idleTimer = 0;
  let staffOpen = false; // opened by a long press; the setup screen shows the panel anyway
  let staffTimer = 0;
  let pressTimer = 0;

  // ---- The durable queue (IndexedDB) ----

  const database = new Promise((resolve, reject) => {
    const request = indexedDB.open("sipas-kiosk", 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
      request.result.createObjectStore("held", { keyPath: "seq", autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  const completed = (tx) =>
    new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  const outcome = (request) =>
    new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });

  // "strict": the answer is on disk before the thank-you screen appears (Chromium defaults to "relaxed").
  async function transaction(stores, mode) {
    return (await database).transaction(stores, mode, { durability: "strict" });
  }

  async function enqueue(submission) {
    const tx = await transaction("queue", "readwrite");
    tx.objectStore("queue").add({ submission, queued_at: new Date().toISOString() });
    await completed(tx);
  }

  async function oldest(store, limit) {
    const tx = await transaction(store, "readonly");
    return outcome(tx.objectStore(store).getAll(null, limit));
  }

  async function count(store) {
    const tx = await transaction(store, "readonly");
    return outcome(tx.objectStore(store).count());
  }

  // Apply a batch's results (in request order): stored/duplicate leave the queue, conflict/invalid are held.
  async function settle(batch, results) {
    const tx = await transaction(["queue", "held"], "readwrite");
    const queue = tx.objectStore("queue");
    const held = tx.objectStore("held");
    let settled = 0;
    batch.forEach((entry, index) => {
      const result = results[index];
      if (!result || result.submission_id !== entry.submission.submission_id) return;
      if (result.status === "stored" || result.status === "duplicate") {
        queue.delete(entry.seq);
        settled += 1;
      } else if (result.status === "conflict" || result.status === "invalid") {
        queue.delete(entry.seq);
        held.add({
          submission: entry.submission,
          status: result.status,
          message: result.message || "",
          errors: result.errors || [],
          held_at: new Date().toISOString(),
        });
        settled += 1;
      }
    });
    await completed(tx);
    return settled;
  }

  // ---- Talking to the server ----

  function post(path, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
      cache: "no-store",
      signal: controller.signal,
    }).finally(() => clearTimeout(timer));
  }

  let syncing = null;
  let syncAgain = false;
  let attempt = 0;
  let retryTimer = 0;
  let batchSize = BATCH_SIZE;

  // One sync at a time; a call during a sync makes it go round once more (an answer queued meanwhile).
  function syncNow() {
    if (syncing) {
      syncAgain = true;
      return syncing;
    }
    clearTimeout(retryTimer);
    retryTimer = 0;
    syncing = (async () => {
      try {
        do {
          syncAgain = false;
          await drain();
        } while (syncAgain && !retryTimer);
      } finally {
        syncing = null;
      }
    })();
    return syncing;
  }

  // Exponential backoff with full jitter: wait a random time in [0, min(cap, base * 2^attempt)).
  function retryLater(atLeastMs = 0) {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
    attempt = Math.min(attempt + 1, 20);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      retryTimer = 0;
      syncNow();
    }, Math.max(atLeastMs, Math.random() * ceiling));
  }

  async function drain() {
    let sent = false;
    // The browser knows it has no network: wait for its "online" event (or the next timer) instead of failing.
    if (!navigator.onLine) return;
    while (key && !revoked) {
      const batch = await oldest("queue", batchSize);
      if (!batch.length) break;
      let response;
      try {
        response = await post("/api/v1/responses/batch", { items: batch.map((entry) => entry.submission) });
      } catch {
        return retryLater(); // offline, server down, or timed out
      }
      if (response.status === 401) return showRevoked();
      if (response.status === 413 && batchSize > 1) {
        batchSize = Math.ceil(batchSize / 2);
        continue;
      }
      if (!response.ok) {
        const seconds = Number(response.headers.get("Retry-After"));
        return retryLater(Number.isFinite(seconds) ? seconds * 1000 : 0);
      }
      let body;
      try {
        body = await response.json();
      } catch {
        return retryLater();
      }
      sent = true;
      const settled = await settle(batch, body.results || []);
      await showCounts();
      if (!settled) return retryLater(); // an answer we could not match: never spin
      attempt = 0;
    }
    if (sent) await heartbeat();
  }

  async function heartbeat() {
    if (!key || revoked) return;
    const [queueLength, heldBack] = await Promise.all([count("queue"), count("held")]);
    try {
      const body = { app_version: APP_VERSION, queue_length: queueLength, held_back: heldBack };
      const response = await post("/api/v1/kiosk/heartbeat", body);
      if (response.status === 401) return showRevoked();
      if (response.ok) {
        const device = await response.json();
        const place = { agency_name: device.agency_name, counter_name: device.counter_name };
        localStorage.setItem(PLACE_STORAGE, JSON.stringify(place));
        showPlace();
      }
    } catch {
      // Offline: the next beat will tell.
    }
  }

  // "ok", "wrong" (401) or "unknown" (no answer: accepted, checked again at the next heartbeat).
  async function checkKey(candidate) {
    try {
      const response = await fetch("/api/v1/kiosk/heartbeat", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${candidate}` },
        body: JSON.stringify({ app_version: APP_VERSION }),
        cache: "no-store",
      });
      return response.status === 401 ? "wrong" : response.ok ? "ok" : "unknown";
    } catch {
      return "unknown";
    }
  }

  // ---- Building an answer ----

  const pad = (number) => String(Math.floor(number)).padStart(2, "0");

  // The device's local time with its UTC offset, e.g. 2026-11-20T09:15:00+07:00.
  function localTime(date) {
    const offset = -date.getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "-";
    const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
    const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
    return `${day}T${time}${sign}${pad(Math.abs(offset) / 60)}:${pad(Math.abs(offset) % 60)}`;
  }

  // crypto.randomUUID needs a secure origin; a kiosk on plain http (no service worker) still needs ids.
  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const localized = (value) => (value ? (lang === "en" && value.en) || value.vi : "");
  // The language a text is shown in: an English page shows the Vietnamese text where there is no English one.
  const languageOf = (value) => (lang === "en" && value && value.en ? "en" : "vi");

  function choicesOf(item) {
    if (item.type === "scale") {
      return form.scales[item.scale].levels.map((level) => ({ value: level.value, label: level.label }));
    }
    return (item.options || []).map((option) => ({ value: option.code, label: option.label }));
  }

  function element(tag, properties = {}, ...children) {
    const node = Object.assign(document.createElement(tag), properties);
    node.append(...children);
    return node;
  }

  function requiredMark() {
    const star = element("span", { className: "req" }, "*");
    star.setAttribute("aria-hidden", "true");
    return [" ", star, element("span", { className: "sr" }, `(${say("required_mark")})`)];
  }

  // A chosen radio button cannot be tapped away: optional one-answer questions get a "clear" button.
  const isClearable = (item) => !item.required && (item.type === "scale" || item.type === "single_choice");

  function renderItem(item, value) {
    const error = element("p", { className: "err", id: `e-${item.code}`, hidden: true });
    const title = [localized(item.text), ...(item.required ? requiredMark() : [])];
    if (item.type === "scale" || item.type === "single_choice" || item.type === "multiple_choice") {
      const hints = [];
      if (item.help) hints.push(element("p", { className: "hint", id: `g-${item.code}` }, localized(item.help)));
      if (item.type === "multiple_choice") {
        hints.push(element("p", { className: "hint", id: `m-${item.code}` }, say("many")));
      }
      const type = item.type === "multiple_choice" ? "checkbox" : "radio";
      const chosen = new Set([].concat(value ?? []).map(String));
      const grid = element("div", { className: item.type === "scale" ? "choices scale" : "choices options" });
      for (const choice of choicesOf(item)) {
        const input = element("input", { type, name: item.code, value: String(choice.value) });
        input.checked = chosen.has(String(choice.value));
        const caption =
          item.type === "scale"
            ? element("span", {}, element("b", {}, String(choice.value)), " ", localized(choice.label))
            : element("span", {}, localized(choice.label));
        grid.append(element("label", {}, input, caption));
      }
      const box = element("fieldset", { id: `q-${item.code}`, className: "q" }, element("legend", {}, ...title));
      box.append(...hints, error, grid);
      box.dataset.hints = hints.map((hint) => hint.id).join(" ");
      if (box.dataset.hints) box.setAttribute("aria-describedby", box.dataset.hints);
      if (isClearable(item)) {
        box.classList.add("clearable");
        const clear = element("button", { type: "button", className: "kclear" }, say("clear"));
        clear.dataset.clear = item.code;
        box.append(clear);
      }
      return box;
    }
    const help = item.help ? [element("p", { className: "hint" }, localized(item.help))] : [];
    const limit = item.max_length || TEXT_LIMITS[item.type] || 200;
    const tag = item.type === "comment" ? "textarea" : "input";
    const field = element(tag, { id: `a-${item.code}`, name: item.code, maxLength: limit, value: value || "" });
    if (tag === "input") Object.assign(field, { type: "text", autocomplete: "off" });
    else field.rows = 2;
    field.setAttribute("aria-describedby", `h-${item.code} e-${item.code}`);
    const hint = element("p", { className: "hint", id: `h-${item.code}` }, say("max_chars", { n: limit }));
    return element("div", { id: `q-${item.code}`, className: "q" }, element("label", { htmlFor: `a-${item.code}` }, ...title), ...help, hint, error, field);
  }

  // The order on screen: an item asked only after some answer (show_if) right under the item it depends on, and
  // the optional "detail" items in one closed section where the first of them would be, so the form fits a screen.
  function renderQuestions(values, detailsOpen) {
    const codes = new Set(form.items.map((item) => item.code));
    const follows = (item) => Boolean(item.show_if && codes.has(item.show_if.item));
    const dependents = (item) => form.items.filter((other) => follows(other) && other.show_if.item === item.code);
    const withDependents = (item) => [item, ...dependents(item).flatMap(withDependents)];
    const shown = [];
    let details = null;
    for (const item of form.items) {
      if (follows(item)) continue; // placed under the item it depends on
      const boxes = withDependents(item).map((one) => renderItem(one, values[one.code]));
      if (!item.detail) {
        shown.push(...boxes);
        continue;
      }
      if (!details) {
        details = element("details", { className: "kmore", id: "more", open: detailsOpen });
        details.append(element("summary", {}, say("details")), element("div", { className: "body" }));
        shown.push(details);
      }
      details.lastChild.append(...boxes);
    }
    $("questions").replaceChildren(...shown);
  }

  // The value on screen (null when blank): a level number, an option code, a list of codes or trimmed text.
  function readValue(item) {
    const box = $(`q-${item.code}`);
    if (item.type === "multiple_choice") {
      const codes = [...box.querySelectorAll("input:checked")].map((input) => input.value);
      return codes.length ? codes : null;
    }
    if (item.type === "scale" || item.type === "single_choice") {
      const input = box.querySelector("input:checked");
      if (!input) return null;
      return item.type === "scale" ? Number(input.value) : input.value;
    }
    return box.querySelector("input, textarea").value.trim() || null;
  }

  const isAsked = (item, answers) => !item.show_if || item.show_if.in.includes(answers[item.show_if.item]);

  // The answers to the questions asked (a skipped question is never sent: the API refuses it).
  function collect() {
    const answers = {};
    for (const item of form.items) {
      if (!isAsked(item, answers)) continue;
      const value = readValue(item);
      if (value !== null) answers[item.code] = value;
    }
    return answers;
  }

  function refreshQuestions() {
    const answers = collect();
    for (const item of form.items) {
      const asked = isAsked(item, answers);
      $(`q-${item.code}`).hidden = !asked;
      if (!asked) markError(item, false);
    }
    for (const button of document.querySelectorAll("#questions .kclear")) {
      button.classList.toggle("none", !$(`q-${button.dataset.clear}`).querySelector("input:checked"));
    }
  }

  function clearChoice(code) {
    const box = $(`q-${code}`);
    for (const input of box.querySelectorAll("input:checked")) input.checked = false;
    refreshQuestions();
    box.querySelector("input").focus({ preventScroll: true }); // the button has gone: keep the place
  }

  function markError(item, on) {
    const box = $(`q-${item.code}`);
    box.classList.toggle("invalid", on);
    const error = $(`e-${item.code}`);
    error.hidden = !on;
    error.textContent = on ? say("required") : "";
    if (item.type === "short_text" || item.type === "comment") {
      box.querySelector("input, textarea").toggleAttribute("aria-invalid", on);
      return;
    }
    const described = [box.dataset.hints, on ? error.id : ""].filter(Boolean).join(" ");
    if (described) box.setAttribute("aria-describedby", described);
    else box.removeAttribute("aria-describedby");
  }

  function renderForm(values = {}, detailsOpen = false) {
    $("title").textContent = localized(form.title);
    $("intro").textContent = say("intro");
    $("send").textContent = say("submit");
    $("privacy").textContent = say("privacy");
    renderQuestions(values, detailsOpen);
    refreshQuestions();
  }

  async function submit(event) {
    event.preventDefault();
    const answers = collect();
    const missing = form.items.filter((item) => item.required && isAsked(item, answers) && !(item.code in answers));
    for (const item of form.items) markError(item, missing.includes(item));
    if (missing.length) {
      const first = $(`q-${missing[0].code}`);
      const section = first.closest("details");
      if (section) section.open = true; // a required item behind the details section (not in counter-quick)
      first.scrollIntoView({ block: "center" });
      first.querySelector("input, textarea").focus({ preventScroll: true });
      return;
    }
    $("send").disabled = true; // a double tap must not queue the answer twice
    try {
      await enqueue({
        submission_id: newId(),
        form_id: form.id,
        form_version: form.version,
        submitted_at: localTime(new Date()),
        answers,
      });
    } finally {
      $("send").disabled = false;
    }
    showThanks();
    await showCounts();
    syncNow();
  }

  // ---- Screens ----

  function show(name) {
    screen = name;
    for (const id of ["loading", "setup", "survey", "thanks"]) $(id).hidden = id !== name;
    document.documentElement.lang = lang;
    $("lang").textContent = say("switch");
    $("lang").lang = lang === "vi" ? "en" : "vi";
    $("lang").hidden = name === "thanks";
    document.title = say("page_title");
    showPlace();
    showStaff();
  }

  // The last heartbeat's names, or null (an older kiosk stored the codes as text: the next heartbeat replaces them).
  function storedPlace() {
    try {
      const place = JSON.parse(localStorage.getItem(PLACE_STORAGE) || "null");
      return place && typeof place === "object" ? place : null;
    } catch {
      return null;
    }
  }

  // The agency and the counter by their names, never their codes: "Xã Bát Tràng · Quầy số 1".
  function showPlace() {
    const place = storedPlace();
    const names = place ? [place.agency_name, place.counter_name].filter((name) => name && name.vi) : [];
    const parts = [];
    for (const name of names) {
      if (parts.length) {
        const dot = element("span", {}, "·");
        dot.setAttribute("aria-hidden", "true");
        parts.push(" ", dot, " ");
      }
      parts.push(element("span", { lang: languageOf(name) }, localized(name)));
    }
    $("place").replaceChildren(...parts);
  }

  // The queue and the network are for staff: shown on the setup screen, or for a while after a long press on the
  // header; never on the thank-you screen.
  function showStaff() {
    $("staff").hidden = !(screen === "setup" || (staffOpen && screen !== "thanks"));
    $("staff-title").textContent = say("staff");
    $("staff-setup").textContent = say("staff_setup");
    $("staff-close").textContent = say("staff_close");
    $("staff-setup").hidden = $("staff-close").hidden = screen === "setup";
  }

  function openStaff(open) {
    staffOpen = open;
    clearTimeout(staffTimer);
    if (open) staffTimer = setTimeout(() => openStaff(false), STAFF_MS);
    showStaff();
  }

  function showThanks() {
    $("thanks-title").textContent = say("thanks_title");
    $("thanks-body").textContent = say("thanks_body");
    show("thanks");
    window.scrollTo(0, 0);
    $("thanks-title").focus();
    clearTimeout(thanksTimer);
    thanksTimer = setTimeout(resetForm, THANKS_MS);
  }

  // The next person starts from a blank form in Vietnamese.
  function resetForm() {
    clearTimeout(thanksTimer);
    lang = "vi";
    openStaff(false);
    renderForm();
    show("survey");
    window.scrollTo(0, 0);
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
  }

  function showSetup() {
    $("setup-title").textContent = say("setup_title");
    $("key-label").textContent = say("key_label");
    $("key-help").textContent = say("key_help");
    $("key-save").textContent = say("key_save");
    $("revoked").textContent = revoked ? say("revoked") : "";
    $("revoked").hidden = !revoked;
    show("setup");
  }

  function showRevoked() {
    revoked = true;
    showSetup();
  }

  async function showCounts() {
    const [pending, held] = await Promise.all([count("queue"), count("held")]);
    $("pending").textContent = say("pending", { n: pending });
    $("held").textContent = say("held", { n: held });
    $("held").hidden = held === 0;
    $("net").textContent = say("offline");
    $("net").hidden = navigator.onLine;
  }

  function switchLanguage() {
    lang = lang === "vi" ? "en" : "vi";
    if (screen === "survey") {
      const values = Object.fromEntries(form.items.map((item) => [item.code, readValue(item)]));
      const shown = form.items.filter((item) => !$(`e-${item.code}`).hidden);
      renderForm(values, Boolean($("more")?.open));
      for (const item of shown) markError(item, true);
      show("survey");
    } else if (screen === "setup") {
      showSetup();
    } else {
      show(screen);
    }
    showCounts();
  }

  async function saveKey(event) {
    event.preventDefault();
    const candidate = $("key").value.trim();
    const error = $("key-error");
    error.hidden = true;
    if (!candidate) {
      error.textContent = say("key_missing");
      error.hidden = false;
      return;
    }
    if ((await checkKey(candidate)) === "wrong") {
      error.textContent = say("key_wrong");
      error.hidden = false;
      return;
    }
    key = candidate;
    localStorage.setItem(KEY_STORAGE, key);
    $("key").value = "";
    revoked = false;
    attempt = 0;
    await start();
    syncNow();
  }

  async function loadForm() {
    for (;;) {
      try {
        const response = await fetch(`/api/v1/forms/${FORM_ID}`);
        if (response.ok) return await response.json();
      } catch {
        // offline with nothing cached yet
      }
      $("loading-text").textContent = say("unavailable");
      await sleep(10000);
    }
  }

  async function start() {
    if (!key || new URLSearchParams(location.search).has("setup")) {
      history.replaceState(null, "", location.pathname);
      return showSetup();
    }
    show("loading");
    form = form || (await loadForm());
    resetForm();
    heartbeat();
  }

  function touched() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (screen === "survey") resetForm(); // someone walked away from a half-filled form
    }, IDLE_MS);
  }

  // ---- Wiring ----

  $("survey").addEventListener("submit", submit);
  $("survey").addEventListener("click", (event) => {
    const button = event.target.closest(".kclear");
    if (button) clearChoice(button.dataset.clear);
  });
  $("survey").addEventListener("change", (event) => {
    const item = form.items.find((candidate) => candidate.code === event.target.name);
    if (item && readValue(item) !== null) markError(item, false); // answered: the message goes
    refreshQuestions();
  });
  $("setup-form").addEventListener("submit", saveKey);
  $("lang").addEventListener("click", switchLanguage);
  $("thanks").addEventListener("click", resetForm);
  // A long press on the header (not on its buttons) opens the staff panel; a tap or a short press does nothing.
  $("head").addEventListener("pointerdown", (event) => {
    if (event.target.closest("button, a")) return;
    clearTimeout(pressTimer);
    pressTimer = setTimeout(() => openStaff(true), LONG_PRESS_MS);
  });
  for (const type of ["pointerup", "pointercancel", "pointerleave"]) {
    $("head").addEventListener(type, () => clearTimeout(pressTimer));
  }
  $("head").addEventListener("contextmenu", (event) => event.preventDefault()); // a long touch's menu
  $("staff-close").addEventListener("click", () => openStaff(false));
  for (const type of ["pointerdown", "keydown", "input", "wheel"]) {
    document.addEventListener(type, touched, { capture: true, passive: true });
  }
  addEventListener("online", () => {
    attempt = 0;
    showCounts();
    syncNow();
  });
  addEventListener("offline", showCounts);
  setInterval(() => {
    heartbeat();
    syncNow();
  }, HEARTBEAT_MS);

  if ("serviceWorker" in navigator) {
    // Needs a secure origin (https, or http://localhost); without it the kiosk still queues, but a reload
    // while offline cannot bring the page back.
    navigator.serviceWorker.register("/kiosk/sw.js", { scope: "/kiosk" }).catch(() => {});
  }

  // For tests and for staff at the console: how many answers wait, and "send now".
  window.sipasKiosk = {
    pending: () => count("queue"),
    held: () => count("held"),
    queued: async () => (await oldest("queue")).map((entry) => entry.submission),
    syncNow: () => syncNow().then(() => undefined),
  };

  showPlace();
  showCounts();
  start().then(() => {
    touched();
    syncNow();
  });
})();
