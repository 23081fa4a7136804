import { describe, expect, it, vi } from 'vitest';
import { Router, type RouterWindow } from '../src/lib/router';
import { installUnsavedGuard, preventUnload, sameValues } from '../src/lib/unsaved';

/**
 * A browser tab's history: pushState and replaceState act at once; go(), like the back
 * button, moves later and then fires popstate.
 */
class FakeWindow implements RouterWindow {
  entries: Array<{ url: string; state: unknown }>;
  index = 0;
  confirm?: (message: string) => boolean;
  private readonly popListeners = new Set<() => void>();

  constructor(url: string, state: unknown = null) {
    this.entries = [{ url, state }];
  }

  get location() {
    const u = new URL(this.entries[this.index]!.url, 'http://x');
    return { pathname: u.pathname, search: u.search };
  }

  readonly history = {
    get state(): unknown {
      return win().entries[win().index]!.state;
    },
    pushState: (state: unknown, _: string, url: string) => {
      this.entries.splice(this.index + 1);
      this.entries.push({ url, state });
      this.index += 1;
    },
    replaceState: (state: unknown, _: string, url: string) => {
      this.entries[this.index] = { url, state };
    },
    go: (delta: number) => {
      setTimeout(() => this.traverse(delta), 0);
    },
  };

  addEventListener(_: 'popstate', listener: () => void) {
    this.popListeners.add(listener);
  }

  /** The browser's back (-1) or forward (+1) button. */
  traverse(delta: number) {
    this.index += delta;
    for (const l of this.popListeners) l();
  }
}

// `history.state` needs the window it belongs to.
let current: FakeWindow;
const win = () => current;

function setup(url = '/admin/') {
  current = new FakeWindow(url);
  const router = new Router(current);
  const changes: string[] = [];
  router.subscribe(() => changes.push(router.snapshot()));
  return { w: current, router, changes };
}

/** Lets queued history steps and promise callbacks run. */
async function settle() {
  for (let i = 0; i < 6; i++) await new Promise((r) => setTimeout(r, 0));
}

describe('router history', () => {
  it('stamps the first entry with an index and numbers the entries it adds', () => {
    const { w, router, changes } = setup('/admin/catalogue?q=x');
    expect(w.entries[0]!.state).toEqual({ idx: 0 });
    router.navigate('/admin/users');
    router.navigate('/admin/users/7', { replace: true });
    expect(w.entries.map((e) => [e.url, e.state])).toEqual([
      ['/admin/catalogue?q=x', { idx: 0 }],
      ['/admin/users/7', { idx: 1 }],
    ]);
    expect(changes).toEqual(['/admin/users', '/admin/users/7']);
    router.navigate('/admin/users/7'); // already there
    expect(changes).toHaveLength(2);
  });

  it('follows back and forward when nothing objects', async () => {
    const { w, router, changes } = setup();
    router.navigate('/admin/catalogue');
    w.traverse(-1);
    expect(router.snapshot()).toBe('/admin/');
    w.traverse(1);
    expect(router.snapshot()).toBe('/admin/catalogue');
    expect(changes).toEqual(['/admin/catalogue', '/admin/', '/admin/catalogue']);
  });
});

describe('navigation guards', () => {
  it('ask before leaving the path; staying keeps the page, leaving goes', async () => {
    const { w, router, changes } = setup('/admin/catalogue/1');
    router.addGuard(() => 'Your changes to “Heat” are not saved.');
    const answers = [false, true];
    const asked: Array<readonly string[]> = [];
    router.setConfirm(async (messages) => {
      asked.push(messages);
      return answers.shift()!;
    });

    router.navigate('/admin/catalogue');
    await settle();
    expect(router.snapshot()).toBe('/admin/catalogue/1');
    expect(w.entries).toHaveLength(1);

    router.navigate('/admin/catalogue');
    await settle();
    expect(router.snapshot()).toBe('/admin/catalogue');
    expect(asked).toEqual([['Your changes to “Heat” are not saved.'], ['Your changes to “Heat” are not saved.']]);
    expect(changes).toEqual(['/admin/catalogue']);
  });

  it('let the query string change, and let `force` through (a save, a Cancel link)', async () => {
    const { router } = setup('/admin/diversity');
    router.addGuard(() => 'Not saved.');
    const confirm = vi.fn(async () => false);
    router.setConfirm(confirm);
    router.navigate('/admin/diversity?user=7', { replace: true });
    expect(router.snapshot()).toBe('/admin/diversity?user=7');
    router.navigate('/admin/catalogue', { force: true });
    expect(router.snapshot()).toBe('/admin/catalogue');
    expect(confirm).not.toHaveBeenCalled();
  });

  it('list each guard’s message once, and stop asking when the guard is removed', async () => {
    const { router } = setup('/admin/collections/noir');
    const removeDetails = router.addGuard(() => 'Details not saved.');
    router.addGuard(() => 'Movies not saved.');
    router.addGuard(() => 'Movies not saved.');
    router.addGuard(() => null);
    expect(router.blocking()).toEqual(['Details not saved.', 'Movies not saved.']);
    removeDetails();
    expect(router.blocking()).toEqual(['Movies not saved.']);
  });

  it('fall back to window.confirm without the console’s dialog', async () => {
    const { w, router } = setup('/admin/experiments/new');
    w.confirm = vi.fn(() => false);
    router.addGuard(() => 'The new experiment is not created yet.');
    router.navigate('/admin/experiments');
    await settle();
    expect(w.confirm).toHaveBeenCalledWith('The new experiment is not created yet.');
    expect(router.snapshot()).toBe('/admin/experiments/new');
  });

  it('undo a back step while asking; staying restores the page, leaving takes the step again', async () => {
    const { w, router, changes } = setup('/admin/');
    router.navigate('/admin/catalogue/1');
    router.addGuard(() => 'Not saved.');
    const answers = [false, true];
    router.setConfirm(async () => answers.shift()!);
    changes.length = 0;

    w.traverse(-1); // back button: the address bar shows /admin/ already
    await settle();
    expect(w.index).toBe(1);
    expect(router.snapshot()).toBe('/admin/catalogue/1');
    expect(changes).toEqual([]); // the dashboard was never shown

    w.traverse(-1);
    await settle();
    expect(w.index).toBe(0);
    expect(router.snapshot()).toBe('/admin/');
    expect(changes).toEqual(['/admin/']);
    expect(w.entries).toHaveLength(2); // forward history kept
  });

  it('confirmLeave: true at once when nothing is unsaved, else the person’s answer', async () => {
    const { router } = setup('/admin/staff');
    await expect(router.confirmLeave()).resolves.toBe(true);
    router.addGuard(() => 'The new staff account is not added yet.');
    router.setConfirm(async () => false);
    await expect(router.confirmLeave()).resolves.toBe(false);
  });
});

describe('useUnsavedChanges’ guard', () => {
  it('registers a navigation guard and a beforeunload prompt, and removes both', async () => {
    const { router } = setup('/admin/catalogue/new');
    const target = new EventTarget();
    const unload = () => {
      const e = new Event('beforeunload', { cancelable: true });
      target.dispatchEvent(e);
      return e.defaultPrevented;
    };
    let message = 'The new movie is not added yet.';
    const remove = installUnsavedGuard(() => message, { addGuard: (g) => router.addGuard(g), window: target });
    const removeOther = installUnsavedGuard(() => 'Other part.', { addGuard: (g) => router.addGuard(g), window: target });
    message = 'Changed message.';
    expect(router.blocking()).toEqual(['Changed message.', 'Other part.']);
    expect(unload()).toBe(true);

    remove();
    expect(router.blocking()).toEqual(['Other part.']);
    expect(unload()).toBe(true); // the other part still prompts
    removeOther();
    expect(router.blocking()).toEqual([]);
    expect(unload()).toBe(false);
  });

  it('sets the legacy returnValue as well', () => {
    // A BeforeUnloadEvent's returnValue is writable (a plain Event's is not).
    const e = new Event('beforeunload', { cancelable: true });
    Object.defineProperty(e, 'returnValue', { value: true, writable: true });
    preventUnload(e);
    expect(e.defaultPrevented).toBe(true);
    expect((e as unknown as { returnValue: unknown }).returnValue).toBe('');
  });
});

describe('sameValues', () => {
  it('compares form values by structure', () => {
    expect(sameValues({ a: '1', b: [1, { c: true }] }, { b: [1, { c: true }], a: '1' })).toBe(true);
    expect(sameValues({ a: '1' }, { a: '1', b: undefined })).toBe(false);
    expect(sameValues([1, 2], [2, 1])).toBe(false);
    expect(sameValues({ n: Number.NaN }, { n: Number.NaN })).toBe(true);
    expect(sameValues(null, {})).toBe(false);
    expect(sameValues([], {})).toBe(false);
  });
});
