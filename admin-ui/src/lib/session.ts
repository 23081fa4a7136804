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

  token(): string | null {
    return this.current?.token ?? null;
  }

  signIn(s: Session): void {
    this.session = s;
    this.reason = null;
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(s));
    } catch {
      /* storage full or disabled: memory only */
    }
    this.schedule();
    this.emit();
  }

  signOut(reason: Exclude<SignOutReason, null> = 'signed-out'): void {
    const had = this.session !== null;
    this.session = null;
    this.reason = reason;
    this.safeRemove();
    this.clearTimer();
    if (had || reason === 'expired') this.emit();
  }

  /** The API said UNAUTHENTICATED, or the clock passed `expiresAt`. */
  expire(): void {
    if (this.session) this.signOut('expired');
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
