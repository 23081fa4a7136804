// Ordered lists edited by drag and drop or with up/down buttons (a collection's movies).

/** A copy of `items` with the element at `from` moved to index `to` (clamped). Same order for bad `from`. */
export function moveItem<T>(items: readonly T[], from: number, to: number): T[] {
  const out = [...items];
  if (from < 0 || from >= out.length) return out;
  const target = Math.max(0, Math.min(out.length - 1, to));
  if (target === from) return out;
  const [moved] = out.splice(from, 1);
  out.splice(target, 0, moved as T);
  return out;
}

/** Moves the element at `index` by `delta` places (-1 = up, +1 = down). */
export function moveBy<T>(items: readonly T[], index: number, delta: number): T[] {
  return moveItem(items, index, index + delta);
}

/**
 * Where a dragged row lands when dropped on row `over`: in the upper half it goes before
 * that row, in the lower half after it. Returns the final index for `moveItem`.
 */
export function dropIndex(from: number, over: number, lowerHalf: boolean): number {
  let to = lowerHalf ? over + 1 : over;
  if (from < to) to -= 1; // removing the dragged row first shifts the later ones up
  return to;
}

/** Appends an item unless one with the same key is already there. */
export function appendUnique<T>(items: readonly T[], item: T, key: (t: T) => string): T[] {
  return items.some((x) => key(x) === key(item)) ? [...items] : [...items, item];
}

/** Whether two lists hold the same keys in the same order. */
export function sameOrder<T>(a: readonly T[], b: readonly T[], key: (t: T) => string): boolean {
  return a.length === b.length && a.every((x, i) => key(x) === key(b[i] as T));
}
