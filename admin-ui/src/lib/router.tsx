// A tiny History-API router for the console's paths under the Vite `base` (/admin/), with
// navigation guards: a screen with unsaved changes registers one (lib/unsaved.ts) and leaving
// its path, by a link, `navigate` or the browser's back and forward buttons, asks first.
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

/**
 * Says why leaving the current path would lose something ("The movie's changes are not
 * saved."), or null when nothing would be lost. Called at the moment of navigating.
 */
export type NavigationGuard = () => string | null;

/** Asks the person whether to leave anyway; resolves true to leave. */
export type NavigationConfirm = (messages: readonly string[]) => Promise<boolean>;

export interface NavigateOptions {
  /** Replace the current history entry instead of adding one. */
  replace?: boolean;
  /**
   * Skip the guards: the person chose to discard (a Cancel link), or the change was just
   * saved and the guard has not seen it yet (navigating right after a successful save).
   */
  force?: boolean;
}

/** The parts of `window` the router uses (tests pass a fake). */
export interface RouterWindow {
  location: { pathname: string; search: string };
  history: {
    readonly state: unknown;
    pushState(data: unknown, unused: string, url: string): void;
    replaceState(data: unknown, unused: string, url: string): void;
    go(delta: number): void;
  };
  addEventListener(type: 'popstate', listener: () => void): void;
  confirm?: (message: string) => boolean;
}

const pathOf = (href: string) => href.replace(/[?#].*$/, '');

function entryIndex(state: unknown): number | null {
  const idx = (state as { idx?: unknown } | null)?.idx;
  return typeof idx === 'number' && Number.isInteger(idx) ? idx : null;
}

/**
 * The router's state: the committed location (what the screens show), the history entry's
 * index (kept in `history.state.idx`, so a back or forward step knows how far it went and
 * can be undone), the listeners, and the guards.
 */
export class Router {
  private href: string;
  private idx: number;
  private readonly listeners = new Set<() => void>();
  private readonly guards = new Set<NavigationGuard>();
  private confirmer: NavigationConfirm | null = null;
  /** A confirmation is on screen: further navigations wait for it (are ignored). */
  private asking = false;
  /** The next popstate is our own step back (`undo`) or forward again (`redo`). */
  private pending: { kind: 'undo'; then: () => void } | { kind: 'redo' } | null = null;

  constructor(private readonly win: RouterWindow) {
    this.href = this.read();
    const idx = entryIndex(win.history.state);
    this.idx = idx ?? 0;
    if (idx === null) win.history.replaceState({ idx: 0 }, '', this.href);
    win.addEventListener('popstate', this.onPopState);
  }

  /** The committed `pathname + search` (with the base). */
  readonly snapshot = (): string => this.href;

  readonly subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  /** Goes to `url` (with the base), asking the guards first when the path changes. */
  navigate(url: string, opts: NavigateOptions = {}): void {
    if (url === this.href) return;
    const go = () => {
      if (opts.replace) this.win.history.replaceState({ idx: this.idx }, '', url);
      else this.win.history.pushState({ idx: ++this.idx }, '', url);
      this.commit();
    };
    if (opts.force || pathOf(url) === pathOf(this.href)) {
      go();
      return;
    }
    const messages = this.blocking();
    if (messages.length === 0) {
      go();
      return;
    }
    if (this.asking) return;
    void this.ask(messages).then((ok) => ok && go());
  }

  /** Registers a guard; returns its removal. */
  addGuard(guard: NavigationGuard): () => void {
    this.guards.add(guard);
    return () => this.guards.delete(guard);
  }

  /** How to ask (the console's dialog); without one, `window.confirm`. Returns the removal. */
  setConfirm(confirm: NavigationConfirm): () => void {
    this.confirmer = confirm;
    return () => {
      if (this.confirmer === confirm) this.confirmer = null;
    };
  }

  /** What the guards say now (deduplicated); empty when nothing would be lost. */
  blocking(): string[] {
    const messages: string[] = [];
    for (const g of [...this.guards]) {
      const m = g();
      if (m && !messages.includes(m)) messages.push(m);
    }
    return messages;
  }

  /**
   * For leaving without a navigation (signing out, switching what a screen edits): true at
   * once when no guard objects, else what the person answers.
   */
  confirmLeave(): Promise<boolean> {
    const messages = this.blocking();
    if (messages.length === 0) return Promise.resolve(true);
    if (this.asking) return Promise.resolve(false);
    return this.ask(messages);
  }

  private async ask(messages: readonly string[]): Promise<boolean> {
    this.asking = true;
    try {
      if (this.confirmer) return await this.confirmer(messages);
      return this.win.confirm ? this.win.confirm(messages.join('\n\n')) : true;
    } finally {
      this.asking = false;
    }
  }

  private read(): string {
    return this.win.location.pathname + this.win.location.search;
  }

  private commit(): void {
    this.href = this.read();
    for (const l of [...this.listeners]) l();
  }

  /**
   * Back and forward: the address bar has already changed. When a guard objects, step back
   * to where we were (without showing the other page), ask, and on "leave" redo the step.
   */
  private readonly onPopState = () => {
    const pending = this.pending;
    if (pending?.kind === 'undo') {
      this.pending = null;
      pending.then();
      return;
    }
    const target = entryIndex(this.win.history.state);
    if (pending?.kind === 'redo') {
      this.pending = null;
      this.idx = target ?? this.idx;
      this.commit();
      return;
    }
    const messages = pathOf(this.read()) === pathOf(this.href) ? [] : this.blocking();
    const delta = target === null ? 0 : this.idx - target;
    // An entry the router did not make (no index) cannot be undone precisely: let it through.
    if (messages.length === 0 || delta === 0) {
      if (target !== null) this.idx = target;
      this.commit();
      return;
    }
    if (this.asking) {
      // The person is already being asked: stay until they answer.
      this.pending = { kind: 'undo', then: () => {} };
      this.win.history.go(delta);
      return;
    }
    this.pending = {
      kind: 'undo',
      then: () => {
        void this.ask(messages).then((ok) => {
          if (!ok) return;
          this.pending = { kind: 'redo' };
          this.win.history.go(-delta);
        });
      },
    };
    this.win.history.go(delta);
  };
}

const router: Router | null = typeof window === 'undefined' ? null : new Router(window);

function subscribe(l: () => void) {
  return router ? router.subscribe(l) : () => {};
}
function snapshot() {
  return router ? router.snapshot() : '/';
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

/**
 * Goes to a console path (`/catalogue?q=x`). When the path changes and a guard objects (a
 * screen has unsaved changes), the person is asked first and nothing happens if they stay.
 */
export function navigate(to: string, opts: NavigateOptions = {}): void {
  router?.navigate(withBase(to), opts);
}

/** Registers a navigation guard (see lib/unsaved.ts for the hook screens use); returns its removal. */
export function addNavigationGuard(guard: NavigationGuard): () => void {
  return router ? router.addGuard(guard) : () => {};
}

/** Installs the console's "Leave this page?" dialog (App); returns its removal. */
export function setNavigationConfirm(confirm: NavigationConfirm): () => void {
  return router ? router.setConfirm(confirm) : () => {};
}

/** Resolves true when nothing unsaved would be lost, or the person chose to discard it. */
export function confirmLeave(): Promise<boolean> {
  return router ? router.confirmLeave() : Promise.resolve(true);
}

/**
 * A link to a console path. A plain click navigates in the app (guards included; `force`
 * skips them, for a Cancel link that means "discard"); modified clicks open a new tab as usual.
 */
export function Link({ to, force, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; force?: boolean }) {
  return (
    <a
      {...rest}
      href={withBase(to)}
      onClick={(e: MouseEvent<HTMLAnchorElement>) => {
        onClick?.(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to, { force });
      }}
    />
  );
}
