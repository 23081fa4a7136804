// datetime-local ⇄ UTC conversions. `npm test` runs with TZ=Europe/Paris (a zone with DST,
// away from UTC); the zone-specific checks are skipped when run in another zone.
import { describe, expect, it } from 'vitest';
import { daysUntil, describeSchedule, isoToLocalInput, localInputToIso, parseSchedule } from '../src/lib/dates';

const inParis = new Date(2026, 6, 1, 12).getTimezoneOffset() === -120 && new Date(2026, 11, 1, 12).getTimezoneOffset() === -60;

describe('datetime-local ⇄ ISO UTC (any zone)', () => {
  it('reads the input as local time and round-trips', () => {
    expect(localInputToIso('2026-07-01T12:00')).toBe(new Date(2026, 6, 1, 12, 0).toISOString());
    expect(isoToLocalInput(localInputToIso('2026-12-24T18:45'))).toBe('2026-12-24T18:45');
  });
});

describe.skipIf(!inParis)('datetime-local ⇄ ISO UTC in Europe/Paris', () => {
  it('converts local wall-clock time to UTC, following DST', () => {
    expect(localInputToIso('2026-07-01T12:00')).toBe('2026-07-01T10:00:00.000Z'); // CEST, UTC+2
    expect(localInputToIso('2026-12-01T12:00')).toBe('2026-12-01T11:00:00.000Z'); // CET, UTC+1
    expect(localInputToIso('2026-12-01T12:00:30')).toBe('2026-12-01T11:00:30.000Z');
  });

  it('converts the API’s instants back for the input, nanoseconds included', () => {
    expect(isoToLocalInput('2026-07-01T10:00:00Z')).toBe('2026-07-01T12:00');
    expect(isoToLocalInput('2026-12-01T23:30:00.123456789+00:00')).toBe('2026-12-02T00:30');
    expect(isoToLocalInput(null)).toBe('');
    expect(isoToLocalInput('garbage')).toBe('');
    expect(localInputToIso(isoToLocalInput('2026-03-29T01:15:00Z'))).toBe('2026-03-29T01:15:00.000Z');
  });

  it('reads schedules in local time', () => {
    expect(parseSchedule({ startsAt: '2026-07-01T12:00', endsAt: '' }).parsed).toEqual({ startsAt: '2026-07-01T10:00:00.000Z', endsAt: null });
  });
});

describe('datetime-local validation', () => {
  it('rejects empty, malformed and impossible dates', () => {
    expect(localInputToIso('')).toBeNull();
    expect(localInputToIso('2026-07-01')).toBeNull();
    expect(localInputToIso('tomorrow')).toBeNull();
    expect(localInputToIso('2026-02-30T10:00')).toBeNull();
    expect(isoToLocalInput(null)).toBe('');
    expect(isoToLocalInput('garbage')).toBe('');
  });
});

describe('schedules', () => {
  it('parses an open or closed schedule', () => {
    expect(parseSchedule({ startsAt: '', endsAt: '' })).toEqual({ errors: {}, parsed: { startsAt: null, endsAt: null } });
    expect(parseSchedule({ startsAt: '2026-07-01T12:00', endsAt: '' }).parsed?.endsAt).toBeNull();
  });

  it('requires the end after the start and valid values', () => {
    expect(parseSchedule({ startsAt: '2026-07-02T12:00', endsAt: '2026-07-01T12:00' })).toEqual({
      errors: { endsAt: 'The end must be after the start.' },
      parsed: null,
    });
    expect(parseSchedule({ startsAt: '2026-07-01T12:00', endsAt: '2026-07-01T12:00' }).errors.endsAt).toBeDefined();
    expect(parseSchedule({ startsAt: 'x', endsAt: '' }).errors).toEqual({ startsAt: 'Enter a valid date and time.' });
  });

  it('describes a schedule', () => {
    const f = (iso: string) => iso.slice(0, 10);
    expect(describeSchedule(null, null, f)).toBe('Always');
    expect(describeSchedule('2026-07-01T10:00:00Z', null, f)).toBe('From 2026-07-01');
    expect(describeSchedule(null, '2026-07-08T10:00:00Z', f)).toBe('Until 2026-07-08');
    expect(describeSchedule('2026-07-01T10:00:00Z', '2026-07-08T10:00:00Z', f)).toBe('2026-07-01 – 2026-07-08');
  });

  it('counts whole days until an instant', () => {
    const now = Date.parse('2026-07-01T00:00:00Z');
    expect(daysUntil('2026-07-31T00:00:00Z', now)).toBe(30);
    expect(daysUntil('2026-06-30T12:00:00Z', now)).toBe(-1);
  });
});
