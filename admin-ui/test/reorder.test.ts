import { describe, expect, it } from 'vitest';
import { appendUnique, dropIndex, moveBy, moveItem, sameOrder } from '../src/lib/reorder';

describe('reordering', () => {
  const list = ['a', 'b', 'c', 'd'];

  it('moves an item to a new index without touching the input', () => {
    expect(moveItem(list, 0, 2)).toEqual(['b', 'c', 'a', 'd']);
    expect(moveItem(list, 3, 0)).toEqual(['d', 'a', 'b', 'c']);
    expect(moveItem(list, 1, 99)).toEqual(['a', 'c', 'd', 'b']);
    expect(moveItem(list, 7, 0)).toEqual(list);
    expect(list).toEqual(['a', 'b', 'c', 'd']);
  });

  it('moves up and down by one, stopping at the ends', () => {
    expect(moveBy(list, 2, -1)).toEqual(['a', 'c', 'b', 'd']);
    expect(moveBy(list, 0, -1)).toEqual(list);
    expect(moveBy(list, 3, 1)).toEqual(list);
  });

  it('computes where a dropped row lands from the half it was dropped on', () => {
    // a dragged onto c's lower half: after c.
    expect(moveItem(list, 0, dropIndex(0, 2, true))).toEqual(['b', 'c', 'a', 'd']);
    // a dragged onto c's upper half: before c.
    expect(moveItem(list, 0, dropIndex(0, 2, false))).toEqual(['b', 'a', 'c', 'd']);
    // d dragged onto a's upper half: first.
    expect(moveItem(list, 3, dropIndex(3, 0, false))).toEqual(['d', 'a', 'b', 'c']);
    // d dragged onto b's lower half: after b.
    expect(moveItem(list, 3, dropIndex(3, 1, true))).toEqual(['a', 'b', 'd', 'c']);
    // dropped on itself: nothing moves.
    expect(moveItem(list, 1, dropIndex(1, 1, true))).toEqual(list);
  });

  it('appends only new items and compares orders', () => {
    const k = (x: { id: string }) => x.id;
    expect(appendUnique([{ id: '1' }], { id: '1' }, k)).toEqual([{ id: '1' }]);
    expect(appendUnique([{ id: '1' }], { id: '2' }, k)).toEqual([{ id: '1' }, { id: '2' }]);
    expect(sameOrder([{ id: '1' }, { id: '2' }], [{ id: '1' }, { id: '2' }], k)).toBe(true);
    expect(sameOrder([{ id: '2' }, { id: '1' }], [{ id: '1' }, { id: '2' }], k)).toBe(false);
    expect(sameOrder([{ id: '1' }], [{ id: '1' }, { id: '2' }], k)).toBe(false);
  });
});
