// Fetching /api/... and keeping it fresh: usePoll re-fetches every `ms` while the page is visible.
import { useEffect, useRef, useState } from 'preact/hooks';

export const REFRESH_MS = 2000;

export async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

/** { data, error, updatedAt } for `path`, refreshed every `ms` (null path: nothing). */
export function usePoll(path, ms = REFRESH_MS) {
  const [state, setState] = useState({ data: null, error: null, updatedAt: null });
  const current = useRef(path);
  current.current = path;
  useEffect(() => {
    if (path === null) return undefined;
    let stopped = false;
    let timer;
    setState({ data: null, error: null, updatedAt: null });
    const tick = async () => {
      if (document.visibilityState !== 'hidden') {
        try {
          const data = await getJson(path);
          if (!stopped && current.current === path) setState({ data, error: null, updatedAt: Date.now() });
        } catch (err) {
          if (!stopped && current.current === path) setState((s) => ({ ...s, error: String(err.message ?? err) }));
        }
      }
      if (!stopped) timer = setTimeout(tick, ms);
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path, ms]);
  return state;
}
