// The staff session: a JWT kept in memory and in sessionStorage (gone when the tab closes).
import type { StaffRole } from '../gql/graphql';

export interface Session {
  token: string;
  role: StaffRole;
  /** RFC 3339 instant the token expires. */
  expiresAt: string;
  email: string;
}

/** Why there is no session: shown on the sign-in screen. */
export type SignOutReason = 'signed-out' | 'expired' | null;

export const STORAGE_KEY = 'marquee.admin.session';
const ROLES: readonly StaffRole[] = ['ADMIN', 'EDITOR', 'COMPLIANCE'];

/** Milliseconds left before the session expires (negative when past, NaN-safe: invalid dates count as expired). */
export function msUntilExpiry(s: Pick<Session, 'expiresAt'>, now: number = Date.now()): number {
  // The server sends nanoseconds (…:00.737407010+00:00); keep milliseconds for every engine.
  const t = Date.parse(s.expiresAt.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(t) ? t - now : -1;
}

export function isExpired(s: Pick<Session, 'expiresAt'>, now: number = Date.now()): boolean {
  return msUntilExpiry(s, now) <= 0;
}

/** Reads a stored session, dropping it when malformed or expired. */
export function parseSession(raw: string | null, now: number = Date.now()): Session | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<Session>;
    if (
      typeof v.token === 'string' &&
      v.token.length > 0 &&
      typeof v.expiresAt === 'string' &&
      typeof v.email === 'string' &&
      ROLES.includes(v.role as StaffRole)
    ) {
      const s: Session = { token: v.token, role: v.role as StaffRole, expiresAt: v.expiresAt, email: v.email };
      return isExpired(s, now) ? null : s;
    }
  } catch {
    /* malformed: treat as signed out */
  }
  return null;
}

/** How long before the end a session warns that it ends soon (and offers to sign in again). */
export const EXPIRY_WARNING_MS = 5 * 60_000;

/**
 * The warning shown while a session nears its end ("Your session ends in 3 minutes."), or
 * null when it has more than `EXPIRY_WARNING_MS` left or has already ended.
 */
export function expiryWarning(s: Pick<Session, 'expiresAt'>, now: number = Date.now()): string | null {
  const ms = msUntilExpiry(s, now);
  if (ms <= 0 || ms > EXPIRY_WARNING_MS) return null;
  const minutes = Math.ceil(ms / 60_000);
  return minutes <= 1 ? 'Your session ends in less than a minute.' : `Your session ends in ${minutes} minutes.`;
}

type Listener = (s: Session | null, reason: SignOutReason) => void;

/** Longest delay setTimeout accepts. */
const MAX_TIMEOUT = 2_147_483_647;

/**
 * Holds the session, mirrors it to storage, notifies listeners, and signs out by itself
 * when `expiresAt` passes.
 */
export class SessionStore {
  private session: Session | null;
  private reason: SignOutReason = null;
  private lapsed: Session | null = null;
  private listeners = new Set<Listener>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null,
    private readonly now: () => number = Date.now,
  ) {
    let raw: string | null = null;
    try {
      raw = storage?.getItem(STORAGE_KEY) ?? null;
    } catch {
      raw = null;
    }
    this.session = parseSession(raw, now());
    if (raw && !this.session) {
      this.reason = 'expired';
      this.safeRemove();
    }
    this.schedule();
  }

  get current(): Session | null {
    // A timer can be late (sleeping laptop): check the clock on every read too.
    if (this.session && isExpired(this.session, this.now())) this.expire();
    return this.session;
  }

  get lastReason(): SignOutReason {
    return this.reason;
  }

  /**
   * The session that expired (or was refused by the API) while the console was open, kept in
   * memory only: the console keeps the screen, with what the person typed, under a sign-in
   * dialog for that account. Null after a sign-in or a sign-out, and after a reload.
   */
  get lapsedSession(): Session | null {
    return this.lapsed;
  }

  token(): string | null {
    return this.current?.token ?? null;
  }

  signIn(s: Session): void {
    this.session = s;
    this.reason = null;
    this.lapsed = null;
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(s));
    } catch {
      /* storage full or disabled: memory only */
    }
    this.schedule();
    this.emit();
  }

  signOut(reason: Exclude<SignOutReason, null> = 'signed-out'): void {
    this.end(reason, null);
  }

  /** The API said UNAUTHENTICATED, or the clock passed `expiresAt`: the session lapses. */
  expire(): void {
    if (this.session) this.end('expired', this.session);
  }

  private end(reason: Exclude<SignOutReason, null>, lapsed: Session | null): void {
    const had = this.session !== null || this.lapsed !== null;
    this.session = null;
    this.reason = reason;
    this.lapsed = lapsed;
    this.safeRemove();
    this.clearTimer();
    if (had || reason === 'expired') this.emit();
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  dispose(): void {
    this.clearTimer();
    this.listeners.clear();
  }

  private emit(): void {
    for (const l of [...this.listeners]) l(this.session, this.reason);
  }

  private safeRemove(): void {
    try {
      this.storage?.removeItem(STORAGE_KEY);
    } catch {
      /* ignore */
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.clearTimer();
    if (!this.session) return;
    const ms = msUntilExpiry(this.session, this.now());
    if (ms <= 0) {
      this.expire();
      return;
    }
    this.timer = setTimeout(() => {
      if (this.session && isExpired(this.session, this.now())) this.expire();
      else this.schedule();
    }, Math.min(ms, MAX_TIMEOUT));
  }
}
