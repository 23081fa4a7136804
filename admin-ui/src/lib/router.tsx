// A tiny History-API router for the console's paths under the Vite `base` (/admin/).
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const BASE = (import.meta.env?.BASE_URL ?? '/').replace(/\/$/, ''); // "/admin" or ""

/** `/admin/catalogue` → `/catalogue`; the base alone → `/`. */
export function stripBase(pathname: string, base: string = BASE): string {
  let p = pathname;
  if (base && (p === base || p.startsWith(`${base}/`))) p = p.slice(base.length);
  if (!p.startsWith('/')) p = `/${p}`;
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

export function withBase(path: string, base: string = BASE): string {
  return `${base}${path.startsWith('/') ? path : `/${path}`}`;
}

/** Matches `/users/:id` against `/users/abc` → `{ id: 'abc' }`; null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const seg = a[i]!;
    const val = b[i]!;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(val);
    else if (seg !== val) return null;
  }
  return params;
}

const listeners = new Set<() => void>();
function notify() {
  for (const l of listeners) l();
}
if (typeof window !== 'undefined') window.addEventListener('popstate', notify);

function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}
function snapshot() {
  return typeof window === 'undefined' ? '/' : window.location.pathname + window.location.search;
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot, () => '/');
  const url = new URL(href, 'http://x');
  return { path: stripBase(url.pathname), query: url.searchParams };
}

/** Goes to a console path (`/catalogue?q=x`). */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = withBase(to);
  if (url === window.location.pathname + window.location.search) return;
  if (opts.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  notify();
}

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  return (
    <a
      {...rest}
      href={withBase(to)}
      onClick={(e: MouseEvent<HTMLAnchorElement>) => {
        onClick?.(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    />
  );
}
