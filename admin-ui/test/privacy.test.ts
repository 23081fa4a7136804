import { describe, expect, it } from 'vitest';
import {
  auditFiltersFromQuery,
  auditFiltersToQuery,
  auditFormFromFilters,
  describeActor,
  EMPTY_AUDIT_FILTERS,
  formatDetails,
  parseAuditForm,
  toAuditFilterInput,
} from '../src/lib/auditFilters';
import { defaultDiversityForm, diversityFormChanged, formFromSettings, genreMix, validateDiversityForm } from '../src/lib/diversity';
import {
  deletionActions,
  dueText,
  exportFileContent,
  exportFileName,
  isDeletionStatus,
  outcomeRows,
  requestedByLabel,
  requestUserLabel,
  validateRejectReason,
} from '../src/lib/privacy';
import {
  generatePassword,
  GENERATED_PASSWORD_LENGTH,
  MIN_PASSWORD,
  PASSWORD_ALPHABET,
  passwordError,
  roleChange,
  selfChangeBlocked,
  validateStaffForm,
} from '../src/lib/staffForm';

describe('deletion requests', () => {
  it('labels the user and who asked', () => {
    expect(requestUserLabel({ user: { externalId: 'ml:42' }, userRef: 'VXNlcjo0Mg' })).toBe('ml:42');
    expect(requestUserLabel({ user: null, userRef: 'VXNlcjo0Mg' })).toBe('VXNlcjo0Mg');
    expect(requestUserLabel({ user: null, userRef: null })).toBe('—');
    expect(requestedByLabel('user')).toBe('The user');
    expect(requestedByLabel('staff:7')).toBe('Staff #7');
    expect(isDeletionStatus('APPROVED')).toBe(true);
    expect(isDeletionStatus('approved')).toBe(false);
  });

  it('offers only the actions the status allows', () => {
    expect(deletionActions('PENDING')).toEqual({ approve: true, reject: true, complete: false });
    expect(deletionActions('APPROVED')).toEqual({ approve: false, reject: false, complete: true });
    expect(deletionActions('COMPLETED')).toEqual({ approve: false, reject: false, complete: false });
    expect(deletionActions('REJECTED')).toEqual({ approve: false, reject: false, complete: false });
  });

  it('says when an open request is due', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    expect(dueText({ status: 'PENDING', dueAt: '2026-11-27T13:00:00Z', overdue: false }, now)).toBe('Due in 5 days');
    expect(dueText({ status: 'APPROVED', dueAt: '2026-11-22T18:00:00Z', overdue: false }, now)).toBe('Due today');
    expect(dueText({ status: 'PENDING', dueAt: '2026-11-19T11:00:00Z', overdue: true }, now)).toBe('Overdue by 3 days');
    expect(dueText({ status: 'PENDING', dueAt: '2026-11-22T11:00:00Z', overdue: true }, now)).toBe('Overdue');
    expect(dueText({ status: 'COMPLETED', dueAt: '2026-11-19T11:00:00Z', overdue: true }, now)).toBeNull();
  });

  it('tabulates the outcome counts', () => {
    expect(outcomeRows({ ratings: 120, events: 3400, users: 1, note: 'x' })).toEqual({
      rows: [
        { table: 'events', count: 3400 },
        { table: 'ratings', count: 120 },
        { table: 'users', count: 1 },
      ],
      total: 3521,
    });
    expect(outcomeRows(null)).toEqual({ rows: [], total: 0 });
    expect(outcomeRows([1, 2])).toEqual({ rows: [], total: 0 });
  });

  it('requires a reason to reject', () => {
    expect(validateRejectReason('  ')).toBe('A reason is required to reject a request.');
    expect(validateRejectReason('Legal hold until 2027')).toBeUndefined();
    expect(validateRejectReason('x'.repeat(1001))).toMatch(/1000/);
  });

  it('names and fills the export file', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    expect(exportFileName('ml:42/../x', now)).toBe('marquee-user-ml_42_.._x-2026-11-22.json');
    expect(exportFileName('///', now)).toBe('marquee-user-user-2026-11-22.json');
    expect(JSON.parse(exportFileContent({ a: [1] }))).toEqual({ a: [1] });
    expect(exportFileContent({ a: 1 })).toBe('{\n  "a": 1\n}\n');
  });
});

describe('audit filters', () => {
  const f = { action: 'deletion.', actorKind: 'STAFF' as const, targetType: 'deletion_request', targetId: '', since: '2026-11-01T00:00:00.000Z', until: '' };

  it('round-trips through the URL and drops invalid values', () => {
    const q = auditFiltersToQuery(f);
    expect(q).toBe('?action=deletion.&actor=STAFF&target=deletion_request&since=2026-11-01T00%3A00%3A00.000Z');
    expect(auditFiltersFromQuery(new URLSearchParams(q.slice(1)))).toEqual(f);
    expect(auditFiltersFromQuery(new URLSearchParams('actor=ROBOT&since=yesterday'))).toEqual(EMPTY_AUDIT_FILTERS);
    expect(auditFiltersFromQuery(new URLSearchParams('actor=user')).actorKind).toBe('USER');
    expect(auditFiltersToQuery(EMPTY_AUDIT_FILTERS)).toBe('');
  });

  it('sends only the set filters', () => {
    expect(toAuditFilterInput(f)).toEqual({ action: 'deletion.', actorKind: 'STAFF', targetType: 'deletion_request', since: '2026-11-01T00:00:00.000Z' });
    expect(toAuditFilterInput(EMPTY_AUDIT_FILTERS)).toEqual({});
  });

  it('converts the form’s local times and checks the period', () => {
    const form = auditFormFromFilters(f);
    expect(parseAuditForm(form).filters).toEqual(f);
    expect(parseAuditForm({ ...form, until: '2026-10-01T00:00' }).errors).toEqual({ until: '“Until” must be after “since”.' });
    expect(parseAuditForm({ ...form, since: 'nope' }).errors).toEqual({ since: 'Enter a valid date and time.' });
  });

  it('formats details and actors', () => {
    expect(formatDetails({ b: 1, a: [true] })).toBe('{\n  "b": 1,\n  "a": [\n    true\n  ]\n}');
    expect(formatDetails(null)).toBe('—');
    expect(describeActor({ actorKind: 'STAFF', actorId: 3, actorRole: 'ADMIN' })).toBe('Staff #3 (admin)');
    expect(describeActor({ actorKind: 'STAFF', actorId: 3, actorRole: 'ADMIN', actorName: 'ana@example.org' })).toBe('Staff ana@example.org (admin)');
    expect(describeActor({ actorKind: 'USER', actorId: 77, actorName: 'demo-0077' })).toBe('User demo-0077');
    expect(describeActor({ actorKind: 'SYSTEM', actorId: null })).toBe('System');
  });
});

describe('diversity settings', () => {
  it('sends every field, empty limits as null', () => {
    expect(validateDiversityForm({ ...defaultDiversityForm('HOME'), maxPerGenre: '3', mmrLambda: 0.7000000001 }).input).toEqual({
      surface: { kind: 'HOME' },
      maxPerGenre: 3,
      mmrLambda: 0.7,
      calibration: 0,
      minGenres: null,
      noveltyWeight: 0,
    });
  });

  it('checks ranges', () => {
    const { errors, input } = validateDiversityForm({ ...defaultDiversityForm('HOME'), maxPerGenre: '0', minGenres: '11', calibration: 1.5, noveltyWeight: Number.NaN });
    expect(input).toBeNull();
    expect(errors).toEqual({
      maxPerGenre: 'Max per genre must be between 1 and 10.',
      minGenres: 'Min genres must be between 1 and 10.',
      calibration: 'Calibration must be between 0 and 1.',
      noveltyWeight: 'Novelty weight must be between 0 and 1.',
    });
    expect(validateDiversityForm(defaultDiversityForm('GENRE:Drama')).input?.surface).toEqual({ kind: 'GENRE', genre: 'Drama' });
    expect(validateDiversityForm(defaultDiversityForm('SIDEBAR'))).toEqual({ errors: { surface: 'Unknown surface.' }, input: null });
  });

  it('loads saved settings into the form', () => {
    expect(
      formFromSettings({ surface: { kind: 'GENRE', genre: 'Drama' }, maxPerGenre: null, mmrLambda: 0.6, calibration: 0.3, minGenres: 4, noveltyWeight: 0.1, updatedAt: null }),
    ).toEqual({ surface: 'GENRE:Drama', maxPerGenre: '', mmrLambda: 0.6, calibration: 0.3, minGenres: '4', noveltyWeight: 0.1 });
  });

  it('is unsaved only when saving would change the settings', () => {
    const saved = { ...defaultDiversityForm('HOME'), maxPerGenre: '3', mmrLambda: 0.7 };
    expect(diversityFormChanged({ ...saved }, saved)).toBe(false);
    expect(diversityFormChanged({ ...saved, maxPerGenre: ' 3 ' }, saved)).toBe(false); // sent as 3 all the same
    expect(diversityFormChanged({ ...saved, mmrLambda: 0.70001 }, saved)).toBe(false); // rounded to 0.7 when sent
    expect(diversityFormChanged({ ...saved, mmrLambda: 0.75 }, saved)).toBe(true);
    expect(diversityFormChanged({ ...saved, minGenres: '0' }, saved)).toBe(true); // invalid, but typed
  });

  it('counts the genre mix of the top N', () => {
    const item = (...g: string[]) => ({ movie: { genres: g.map((name) => ({ name })) } });
    expect(genreMix([item('Drama', 'Crime'), item('Drama'), item('Comedy'), item('Horror')], 3)).toEqual([
      { genre: 'Drama', count: 2 },
      { genre: 'Comedy', count: 1 },
      { genre: 'Crime', count: 1 },
    ]);
  });
});

describe('staff accounts', () => {
  it('validates the new account', () => {
    expect(validateStaffForm({ email: ' Ed@Example.test ', password: 'correct horse battery', role: 'EDITOR' })).toEqual({
      errors: {},
      input: { email: 'ed@example.test', password: 'correct horse battery', role: 'EDITOR' },
    });
    expect(validateStaffForm({ email: 'nope', password: 'short', role: '' }).errors).toEqual({
      email: 'Enter a valid email address.',
      password: 'The password must have at least 10 characters.',
      role: 'Choose a role.',
    });
  });

  it('refuses a new password shorter than the server’s minimum, counted in characters', () => {
    expect(MIN_PASSWORD).toBe(10);
    expect(passwordError('123456789')).toBe('The password must have at least 10 characters.');
    expect(passwordError('1234567890')).toBeNull();
    expect(passwordError('🔑🔑🔑🔑🔑🔑🔑🔑🔑')).toBe('The password must have at least 10 characters.'); // 9 characters, 18 UTF-16 units
    expect(passwordError('x'.repeat(201))).toBe('The password must be at most 200 characters.');
  });

  it('generates passwords from the alphabet, long enough, without modulo bias', () => {
    expect(new Set(PASSWORD_ALPHABET).size).toBe(PASSWORD_ALPHABET.length);
    expect(PASSWORD_ALPHABET).not.toMatch(/[0O1lI]/);
    const p = generatePassword();
    expect(p).toHaveLength(GENERATED_PASSWORD_LENGTH);
    expect(passwordError(p)).toBeNull();
    expect([...p].every((c) => PASSWORD_ALPHABET.includes(c))).toBe(true);
    expect(generatePassword()).not.toBe(p);
    // Bytes at or above 256 - 256 % 67 = 201 would favour the first characters: they are drawn again.
    const bytes = [255, 201, 0, 66, 67, 200];
    const fill = (b: Uint8Array) => {
      b.fill(0);
      b.set(bytes.splice(0, b.length));
      return b;
    };
    expect(generatePassword(4, fill)).toBe(
      [0, 66, 67, 200].map((n) => PASSWORD_ALPHABET[n % PASSWORD_ALPHABET.length]).join(''),
    );
  });

  it('names a role change', () => {
    expect(roleChange('EDITOR', 'ADMIN')).toBe('Editor → Admin');
  });

  it('stops people locking themselves out', () => {
    const me = { email: 'Admin@marquee.local' };
    expect(selfChangeBlocked('admin@marquee.local', me, { disabled: true })).toBe('You cannot disable your own account.');
    expect(selfChangeBlocked('admin@marquee.local', me, { role: 'EDITOR' })).toBe('You cannot change your own role.');
    expect(selfChangeBlocked('admin@marquee.local', me, { disabled: false })).toBeNull();
    expect(selfChangeBlocked('admin@marquee.local', { email: 'ed@marquee.local' }, { disabled: true })).toBeNull();
  });
});
