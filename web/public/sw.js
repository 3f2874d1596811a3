// Lachan service worker: the app shell offline (network-first for pages, cache-first for the
// hashed /assets/), never anything under /api/; Web Push notifications (payload from the
// server's notifier: {title, severity, url, ref, delivery} or a digest {title, url, count}).
const CACHE = 'lachan-shell-v1';
const SHELL = ['/', '/index.html', '/manifest.webmanifest', '/icon.svg', '/icon-192.png'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/metrics') return;
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(
      caches.match(req).then((hit) => hit || fetch(req).then((res) => {
        if (res.ok) { const copy = res.clone(); caches.open(CACHE).then((c) => c.put(req, copy)); }
        return res;
      })),
    );
    return;
  }
  if (req.mode === 'navigate') {
    // Network first; offline, the cached shell (the router handles the path).
    event.respondWith(
      fetch(req).then((res) => {
        if (res.ok) { const copy = res.clone(); caches.open(CACHE).then((c) => c.put('/index.html', copy)); }
        return res;
      }).catch(() => caches.match('/index.html').then((hit) => hit || caches.match('/'))),
    );
  }
});

function localPath(u) {
  try {
    const url = new URL(u, self.location.origin);
    // The server's link is console_url + path: open it here, in this console.
    return url.pathname + url.search + url.hash;
  } catch (e) {
    return '/';
  }
}

self.addEventListener('push', (event) => {
  let p = {};
  try { p = event.data ? event.data.json() : {}; } catch (e) { p = { title: event.data ? event.data.text() : '' }; }
  const title = p.title || 'Lachan';
  const body = [p.severity ? String(p.severity).toUpperCase() : '', p.count ? `${p.count}` : '', p.ref || ''].filter(Boolean).join(' · ');
  event.waitUntil(self.registration.showNotification(title, {
    body,
    icon: '/icon-192.png',
    badge: '/icon-192.png',
    tag: p.ref || p.delivery || undefined,
    requireInteraction: p.severity === 'critical',
    data: { url: localPath(p.url || '/') },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = (event.notification.data && event.notification.data.url) || '/';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((wins) => {
      for (const w of wins) {
        if (new URL(w.url).origin === self.location.origin && 'focus' in w) {
          w.navigate(target);
          return w.focus();
        }
      }
      return self.clients.openWindow(target);
    }),
  );
});
