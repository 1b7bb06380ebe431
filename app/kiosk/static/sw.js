// SIPAS kiosk service worker (scope /kiosk): keeps the page, its script and the form definition so that a
// reload without network still shows the form. Network first, so a deploy reaches the tablet on its next load;
// the cached copy is used only when the server cannot be reached. Answers never pass through here: the page
// queues them in IndexedDB and posts them itself.
"use strict";

const CACHE = "sipas-kiosk-v1";
const PAGE = "/kiosk";
const SHELL = [PAGE, "/kiosk/app.js", "/api/v1/forms/counter-quick"];
const NETWORK_TIMEOUT_MS = 5000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

// The cache key of a request we keep, or null to leave the request to the browser.
function cacheKey(request) {
  if (request.method !== "GET") return null;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return null;
  if (request.mode === "navigate" && url.pathname === PAGE) return PAGE; // also /kiosk?setup
  if (url.pathname === "/kiosk/app.js" || url.pathname.startsWith("/api/v1/forms/")) return url.pathname;
  return null;
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), NETWORK_TIMEOUT_MS);
  try {
    const response = await fetch(request, { signal: controller.signal });
    if (response.ok) {
      await cache.put(key, response.clone());
      return response;
    }
    return (await cache.match(key)) || response; // e.g. 502 from the proxy while the app restarts
  } catch (error) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

self.addEventListener("fetch", (event) => {
  const key = cacheKey(event.request);
  if (key) event.respondWith(networkFirst(event.request, key));
});
