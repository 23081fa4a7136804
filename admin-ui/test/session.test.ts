import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { expiryWarning, isExpired, msUntilExpiry, parseSession, SessionStore, STORAGE_KEY, type Session } from '../src/lib/session';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const session = (over: Partial<Session> = {}): Session => ({
  token: 'jwt',
  role: 'EDITOR',
  expiresAt: '2026-11-22T13:00:00Z',
  email: 'ed@example.test',
  ...over,
});

class MemoryStorage {
  map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

describe('session expiry', () => {
  it('reads the server’s nanosecond timestamps', () => {
    const s = { expiresAt: '2026-11-22T19:38:00.737407010+00:00' };
    expect(msUntilExpiry(s, Date.parse('2026-11-22T19:38:00.000Z'))).toBe(737);
    expect(isExpired(s, Date.parse('2026-11-22T19:38:01Z'))).toBe(true);
  });

  it('treats an unparsable date as expired', () => {
    expect(isExpired({ expiresAt: 'tomorrow' }, NOW)).toBe(true);
  });
});

describe('expiry warning', () => {
  const at = (ms: number) => ({ expiresAt: new Date(NOW + ms).toISOString() });
  it('warns in the last five minutes, in whole minutes rounded up', () => {
    expect(expiryWarning(at(5 * 60_000 + 1), NOW)).toBeNull();
    expect(expiryWarning(at(5 * 60_000), NOW)).toBe('Your session ends in 5 minutes.');
    expect(expiryWarning(at(2 * 60_000 + 1), NOW)).toBe('Your session ends in 3 minutes.');
    expect(expiryWarning(at(60_000), NOW)).toBe('Your session ends in less than a minute.');
    expect(expiryWarning(at(1_000), NOW)).toBe('Your session ends in less than a minute.');
  });
  it('says nothing once the session has ended (the sign-in dialog takes over)', () => {
    expect(expiryWarning(at(0), NOW)).toBeNull();
    expect(expiryWarning({ expiresAt: 'garbage' }, NOW)).toBeNull();
  });
});

describe('parseSession', () => {
  it('accepts a valid, unexpired session', () => {
    expect(parseSession(JSON.stringify(session()), NOW)).toEqual(session());
  });
  it('drops expired, malformed or unknown-role sessions', () => {
    expect(parseSession(JSON.stringify(session({ expiresAt: '2026-11-22T11:00:00Z' })), NOW)).toBeNull();
    expect(parseSession('{not json', NOW)).toBeNull();
    expect(parseSession(JSON.stringify({ ...session(), role: 'ROOT' }), NOW)).toBeNull();
    expect(parseSession(JSON.stringify({ ...session(), token: '' }), NOW)).toBeNull();
    expect(parseSession(null, NOW)).toBeNull();
  });
});

describe('SessionStore', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('keeps the session in memory and sessionStorage, and forgets it on sign-out', () => {
    const storage = new MemoryStorage();
    const store = new SessionStore(storage);
    const seen: Array<[Session | null, string | null]> = [];
    store.subscribe((s, r) => seen.push([s, r]));

    store.signIn(session());
    expect(store.token()).toBe('jwt');
    expect(JSON.parse(storage.getItem(STORAGE_KEY)!)).toEqual(session());

    // A reload finds it again.
    expect(new SessionStore(storage).current).toEqual(session());

    store.signOut();
    expect(store.current).toBeNull();
    expect(store.lastReason).toBe('signed-out');
    expect(storage.getItem(STORAGE_KEY)).toBeNull();
    expect(seen.map(([s, r]) => [s?.token ?? null, r])).toEqual([
      ['jwt', null],
      [null, 'signed-out'],
    ]);
  });

  it('signs out by itself when expiresAt passes', () => {
    const storage = new MemoryStorage();
    const store = new SessionStore(storage);
    const listener = vi.fn();
    store.subscribe(listener);
    store.signIn(session({ expiresAt: new Date(NOW + 60_000).toISOString() }));
    listener.mockClear();

    vi.advanceTimersByTime(59_000);
    expect(store.current).not.toBeNull();
    vi.advanceTimersByTime(1_000);
    expect(listener).toHaveBeenCalledWith(null, 'expired');
    expect(store.current).toBeNull();
    expect(store.lastReason).toBe('expired');
    expect(storage.getItem(STORAGE_KEY)).toBeNull();
  });

  it('notices a passed expiry on read even if the timer was late', () => {
    const store = new SessionStore(null);
    store.signIn(session({ expiresAt: new Date(NOW + 1_000).toISOString() }));
    vi.setSystemTime(NOW + 5_000); // clock jumps (laptop slept), timers not run
    expect(store.token()).toBeNull();
    expect(store.lastReason).toBe('expired');
  });

  it('expire() from an UNAUTHENTICATED answer ends the session with reason "expired"', () => {
    const store = new SessionStore(null);
    store.signIn(session());
    store.expire();
    expect(store.current).toBeNull();
    expect(store.lastReason).toBe('expired');
    store.expire(); // idempotent
    expect(store.lastReason).toBe('expired');
  });

  it('keeps a lapsed session in memory so its owner can sign in again over the same screen', () => {
    const storage = new MemoryStorage();
    const store = new SessionStore(storage);
    const seen: Array<[string | null, string | null, string | null]> = [];
    store.subscribe((s, r) => seen.push([s?.token ?? null, r, store.lapsedSession?.email ?? null]));
    store.signIn(session());

    store.expire(); // the API answered UNAUTHENTICATED
    expect(store.current).toBeNull();
    expect(store.lapsedSession).toEqual(session());
    expect(storage.getItem(STORAGE_KEY)).toBeNull(); // a reload starts at the sign-in page

    store.signIn(session({ token: 'jwt2' }));
    expect(store.lapsedSession).toBeNull();
    expect(store.token()).toBe('jwt2');
    expect(seen).toEqual([
      ['jwt', null, null],
      [null, 'expired', 'ed@example.test'],
      ['jwt2', null, null],
    ]);
  });

  it('forgets the lapsed session on sign-out, and a timed-out one lapses too', () => {
    const store = new SessionStore(null);
    store.signIn(session({ expiresAt: new Date(NOW + 1_000).toISOString() }));
    vi.advanceTimersByTime(1_000);
    expect(store.lapsedSession?.email).toBe('ed@example.test');
    const listener = vi.fn();
    store.subscribe(listener);
    store.signOut();
    expect(store.lapsedSession).toBeNull();
    expect(store.lastReason).toBe('signed-out');
    expect(listener).toHaveBeenCalledWith(null, 'signed-out'); // the app leaves the dialog for the sign-in page
  });

  it('starts signed out, saying "expired", when the stored session has expired', () => {
    const storage = new MemoryStorage();
    storage.setItem(STORAGE_KEY, JSON.stringify(session({ expiresAt: '2026-11-22T11:59:00Z' })));
    const store = new SessionStore(storage);
    expect(store.current).toBeNull();
    expect(store.lastReason).toBe('expired');
    expect(store.lapsedSession).toBeNull(); // nothing on screen to keep after a reload
    expect(storage.getItem(STORAGE_KEY)).toBeNull();
  });

  it('works when storage throws (private mode)', () => {
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    const store = new SessionStore(broken);
    store.signIn(session());
    expect(store.token()).toBe('jwt');
    store.signOut();
    expect(store.token()).toBeNull();
  });
});
