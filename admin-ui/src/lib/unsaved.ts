// Unsaved changes: keeps a screen's edits from being lost by leaving it.
//
//   useUnsavedChanges(dirty: boolean, message?: string): void
//
// While `dirty` is true:
//   - leaving the screen's path inside the console (`navigate`, `<Link>`, the browser's back and
//     forward buttons) first shows the "Leave this page?" dialog with `message` (default
//     "Your changes are not saved."); staying cancels the navigation. Changing only the query
//     string (filters, the previewed user) keeps the screen mounted and does not ask;
//   - "Sign out" asks the same way;
//   - reloading or closing the tab makes the browser ask (`beforeunload`).
// When the session expires the screen stays mounted under the sign-in dialog (App), so its
// state survives without anything from this hook.
//
// Typical use:
//   const [saved, setSaved] = useState(initialValues);         // the last saved values
//   useUnsavedChanges(!sameValues(values, saved), 'The movie’s changes are not saved.');
//   // after a successful save that navigates, the guard has not seen the save yet:
//   navigate(`/catalogue/${id}`, { replace: true, force: true });
//   // a Cancel link means "discard":
//   <Link to="/catalogue" force>Cancel</Link>
//   // switching what the screen edits without leaving its path (e.g. a select that remounts the form):
//   if (await confirmLeave()) navigate(`/diversity?surface=${s}`, { replace: true });
// Call it once per independent part (CollectionEditor: its details, and its movie order); the
// dialog lists every part's message.
import { useEffect, useRef } from 'react';
import { sameValues } from './equal';
import { addNavigationGuard, confirmLeave, type NavigationGuard } from './router';

export { confirmLeave, sameValues };

export const DEFAULT_UNSAVED_MESSAGE = 'Your changes are not saved.';

/** Where the guard goes: the router's registry and the window (tests pass fakes). */
export interface GuardTargets {
  addGuard: (guard: NavigationGuard) => () => void;
  window: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
}

/** Makes the browser ask before the tab is closed or reloaded. */
export function preventUnload(e: Event): void {
  e.preventDefault();
  // Older browsers need a return value as well (a BeforeUnloadEvent has the setter).
  try {
    (e as BeforeUnloadEvent).returnValue = '';
  } catch {
    /* a plain Event: its returnValue is read-only */
  }
}

/**
 * Registers the navigation guard (answering `getMessage()`) and the beforeunload prompt;
 * returns what removes both. The hook does this while the screen is dirty.
 */
export function installUnsavedGuard(getMessage: () => string, targets: GuardTargets): () => void {
  const removeGuard = targets.addGuard(() => getMessage());
  // A listener of its own: the same function added twice would be one listener, removed by the first cleanup.
  const onBeforeUnload = (e: Event) => preventUnload(e);
  targets.window.addEventListener('beforeunload', onBeforeUnload);
  return () => {
    removeGuard();
    targets.window.removeEventListener('beforeunload', onBeforeUnload);
  };
}

/** See the top of this file. */
export function useUnsavedChanges(dirty: boolean, message: string = DEFAULT_UNSAVED_MESSAGE): void {
  const messageRef = useRef(message);
  messageRef.current = message;
  useEffect(() => {
    if (!dirty) return;
    return installUnsavedGuard(() => messageRef.current, { addGuard: addNavigationGuard, window });
  }, [dirty]);
}
