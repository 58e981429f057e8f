// pagehide/pageshow for keepalive connections. The listeners hold the connection weakly: a
// connection the application dropped is collected, and its listeners are removed.

const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((remove) => remove())
  : null;

/**
 * Calls `hide(conn)` on `pagehide` and `show(conn, persisted)` on `pageshow`, for as long as `conn`
 * lives.
 */
export function listen(conn, hide, show) {
  const w = globalThis.window;
  if (!w?.addEventListener) return;
  const ref = new WeakRef(conn);
  const onHide = () => {
    const c = ref.deref();
    if (c) hide(c);
  };
  const onShow = (e) => {
    const c = ref.deref();
    if (c) show(c, e.persisted === true);
  };
  w.addEventListener('pagehide', onHide);
  w.addEventListener('pageshow', onShow);
  registry?.register(conn, () => {
    w.removeEventListener('pagehide', onHide);
    w.removeEventListener('pageshow', onShow);
  });
}
