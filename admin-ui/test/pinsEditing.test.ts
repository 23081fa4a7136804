// Editing pins and rules in place (updatePlacement, updateRule): the forms filled from the API's
// rows and turned back into inputs, the public reason of a boost, and the API's errors by field.
import { describe, expect, it } from 'vitest';
import { EMPTY_AUDIENCE } from '../src/lib/audience';
import {
  formChanged,
  placementFormFrom,
  placementServerErrors,
  publicReasonText,
  reasonPreview,
  ruleFormFrom,
  ruleServerErrors,
  toPlacementUpdate,
  toRuleUpdate,
  validateRuleForm,
} from '../src/lib/curation';
import { ApiError } from '../src/lib/errors';
import { placementRow, ruleRow } from './curationFixtures';

describe('editing pins and rules in place', () => {
  it('fills the pin form from a placement, in the browser’s zone', () => {
    expect(placementFormFrom(placementRow())).toEqual({
      surface: 'HOME',
      position: '2',
      targetKind: 'collection',
      movieId: '',
      collectionId: 'Q29sbGVjdGlvbjox',
      startsAt: '2026-11-01T10:00',
      endsAt: '',
      audience: { newUsers: true, genreAffinity: '', ageBands: [], countries: 'FR' },
    });
    const moviePin = placementFormFrom(placementRow({ movie: { id: 'm9', title: 'Heat', year: 1995 }, collection: null }));
    expect(moviePin.targetKind).toBe('movie');
    expect(moviePin.movieId).toBe('m9');
    // The API's Surface becomes the form's surface key.
    expect(placementFormFrom(placementRow({ surface: { kind: 'GENRE', genre: 'Film-Noir' } })).surface).toBe('GENRE:Film-Noir');
  });

  it('an unchanged pin is sent back with every setting and its exact start', () => {
    const p = placementRow();
    expect(toPlacementUpdate(placementFormFrom(p), p)).toEqual({
      errors: {},
      input: {
        surface: { kind: 'HOME' },
        position: 2,
        target: { collectionId: 'Q29sbGVjdGlvbjox' },
        startsAt: '2026-11-01T09:00:00.000000123Z',
        audience: { newUsers: true, genreAffinity: null, ageBands: [], countries: ['FR'] },
      },
    });
  });

  it('a changed pin: the new start, another position, no audience left means everyone', () => {
    const p = placementRow();
    const form = { ...placementFormFrom(p), position: '5', startsAt: '2026-11-02T10:00', audience: EMPTY_AUDIENCE };
    const { input } = toPlacementUpdate(form, p);
    expect(input).toEqual({
      surface: { kind: 'HOME' },
      position: 5,
      target: { collectionId: 'Q29sbGVjdGlvbjox' },
      startsAt: '2026-11-02T09:00:00.000Z',
      audience: { newUsers: false, genreAffinity: null, ageBands: [], countries: [] },
    });
    expect(toPlacementUpdate({ ...form, position: '0' }, p)).toEqual({ errors: { position: 'Position must be 1 or more.' }, input: null });
  });

  it('fills the rule form from a boost, with its note and its public reason', () => {
    expect(ruleFormFrom(ruleRow())).toEqual({
      kind: 'BOOST',
      multiplier: '2',
      targetKind: 'genre',
      movieId: '',
      genre: 'Documentary',
      personId: '',
      yearFrom: '',
      yearTo: '',
      surface: 'HOME',
      startsAt: '',
      endsAt: '2026-12-01T09:59',
      note: 'Agreed with marketing for November',
      reason: 'Documentary month',
    });
    expect(ruleFormFrom(ruleRow({ kind: 'BLOCK', multiplier: 0, reason: null, note: null })).multiplier).toBe('');
    expect(ruleFormFrom(ruleRow({ genre: null, yearFrom: 1940, yearTo: 1959 }))).toMatchObject({ targetKind: 'years', yearFrom: '1940', yearTo: '1959' });
    expect(ruleFormFrom(ruleRow({ genre: null, person: { id: 'p4', name: 'Agnès Varda' } }))).toMatchObject({ targetKind: 'person', personId: 'p4' });
    // No surface: every surface (the form's empty choice).
    expect(ruleFormFrom(ruleRow({ surface: null })).surface).toBe('');
    expect(ruleFormFrom(ruleRow({ surface: { kind: 'GENRE', genre: 'Drama' } })).surface).toBe('GENRE:Drama');
  });

  it('builds the update of a boost with its reason and note, keeping the exact end', () => {
    const r = ruleRow();
    expect(toRuleUpdate({ ...ruleFormFrom(r), reason: '  Docs of the month ' }, r)).toEqual({
      errors: {},
      input: {
        kind: 'BOOST',
        multiplier: 2,
        target: { genre: 'Documentary' },
        surface: { kind: 'HOME' },
        endsAt: '2026-12-01T08:59:30Z',
        note: 'Agreed with marketing for November',
        reason: 'Docs of the month',
      },
    });
  });

  it('an emptied note or reason is left out, so the update removes it', () => {
    const r = ruleRow();
    const { input } = toRuleUpdate({ ...ruleFormFrom(r), note: '  ', reason: '' }, r);
    expect(input).not.toHaveProperty('note');
    expect(input).not.toHaveProperty('reason');
  });

  it('a boost turned into a bury loses its public reason (the API refuses one) but keeps its note', () => {
    const r = ruleRow();
    const { input } = toRuleUpdate({ ...ruleFormFrom(r), kind: 'BURY', multiplier: '' }, r);
    expect(input).toEqual({
      kind: 'BURY',
      target: { genre: 'Documentary' },
      surface: { kind: 'HOME' },
      endsAt: '2026-12-01T08:59:30Z',
      note: 'Agreed with marketing for November',
    });
  });

  it('checks the reason (80 characters) and the note (1000 characters) as the API does', () => {
    const r = ruleRow();
    const form = ruleFormFrom(r);
    expect(toRuleUpdate({ ...form, reason: 'é'.repeat(80) }, r).input?.reason).toBe('é'.repeat(80));
    expect(toRuleUpdate({ ...form, reason: 'x'.repeat(81) }, r)).toEqual({
      errors: { reason: 'The public reason must be at most 80 characters.' },
      input: null,
    });
    // Too long a reason does not matter on a bury: it is not sent.
    expect(toRuleUpdate({ ...form, kind: 'BURY', multiplier: '', reason: 'x'.repeat(81) }, r).errors).toEqual({});
    expect(validateRuleForm({ ...form, note: 'n'.repeat(1000) }).input?.note).toHaveLength(1000);
    expect(validateRuleForm({ ...form, note: 'n'.repeat(1001) }).errors.note).toBe('The note must be at most 1000 characters.');
  });

  it('previews what subscribers read next to a boosted movie', () => {
    expect(reasonPreview('BOOST', 'Documentary month')).toBe("Editor's pick: Documentary month");
    expect(reasonPreview('BOOST', '   ')).toBe("Editor's pick");
    expect(reasonPreview('BURY', 'Documentary month')).toBeNull();
    expect(reasonPreview('BLOCK', '')).toBeNull();
    expect(publicReasonText(null)).toBe("Editor's pick");
    expect(publicReasonText(' Noir Week ')).toBe("Editor's pick: Noir Week");
  });

  it('knows when an edit form has changes', () => {
    const form = ruleFormFrom(ruleRow());
    expect(formChanged(form, { ...form })).toBe(false);
    expect(formChanged(form, { ...form, reason: 'Other' })).toBe(true);
  });

  it('puts the API’s input errors next to the field they name', () => {
    const bad = (message: string) => new ApiError('BAD_USER_INPUT', message, [{ message, extensions: { code: 'BAD_USER_INPUT' } }]);
    expect(ruleServerErrors(bad('reason must be at most 80 characters'))).toEqual({ reason: 'Reason must be at most 80 characters.' });
    expect(ruleServerErrors(bad('only a boost has a public reason: subscribers never see buries and blocks'))).toHaveProperty('reason');
    expect(ruleServerErrors(bad('note must be at most 1000 characters'))).toHaveProperty('note');
    expect(ruleServerErrors(bad('a boost multiplier must be above 1 and at most 10'))).toHaveProperty('multiplier');
    expect(ruleServerErrors(bad('unknown genre Docs'))).toEqual({ target: 'Unknown genre Docs.' });
    expect(ruleServerErrors(bad('yearFrom must not be after yearTo'))).toHaveProperty('yearTo');
    expect(ruleServerErrors(bad('a year range needs `from` or `to`'))).toHaveProperty('target');
    expect(ruleServerErrors(bad("a GENRE surface needs `genre`, the genre's name"))).toHaveProperty('surface');
    expect(ruleServerErrors(bad('the schedule must end after it starts'))).toHaveProperty('endsAt');
    expect(placementServerErrors(bad('position must be between 1 and 100'))).toEqual({ position: 'Position must be between 1 and 100.' });
    expect(placementServerErrors(bad('unknown surface "SIDEBAR": expected HOME, RECOMMENDATIONS or GENRE:<name>'))).toHaveProperty('surface');
    expect(placementServerErrors(bad('`genre` is only for a GENRE surface'))).toHaveProperty('surface');
    expect(placementServerErrors(bad('"FRA" is not a two-letter country code such as FR'))).toHaveProperty('audience');
    expect(placementServerErrors(bad('give exactly one of movieId and collectionId'))).toHaveProperty('target');
    // Other codes, or messages naming no field, stay with the form's general error.
    expect(ruleServerErrors(new ApiError('NOT_FOUND', 'rule not found', [{ message: 'rule not found', extensions: { code: 'NOT_FOUND' } }]))).toEqual({});
    expect(ruleServerErrors(new ApiError('FORBIDDEN', 'not allowed'))).toEqual({});
    expect(placementServerErrors(bad('something else'))).toEqual({});
    expect(placementServerErrors(new Error('position'))).toEqual({});
  });
});
