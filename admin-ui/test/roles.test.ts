import { describe, expect, it } from 'vitest';
import type { StaffRole } from '../src/gql/graphql';
import { canOpen, SCREENS, screenForPath, visibleScreens } from '../src/lib/nav';
import { can } from '../src/lib/roles';
import { hasFields, SCHEMA, type SchemaFields } from '../src/lib/schema';

const labels = (role: StaffRole, schema?: SchemaFields) => visibleScreens(role, schema).map((s) => s.label);

describe('role-based visibility', () => {
  it('shows each role its screens (against the current schema)', () => {
    expect(labels('ADMIN')).toEqual(['Dashboard', 'Catalogue', 'Users']);
    expect(labels('EDITOR')).toEqual(['Dashboard', 'Catalogue']);
    expect(labels('COMPLIANCE')).toEqual(['Dashboard', 'Users']);
  });

  it('hides actions a role cannot use', () => {
    expect(can('EDITOR', 'catalogue.edit')).toBe(true);
    expect(can('EDITOR', 'catalogue.includeUnavailable')).toBe(true);
    expect(can('EDITOR', 'users.view')).toBe(false);
    expect(can('COMPLIANCE', 'catalogue.edit')).toBe(false);
    expect(can('COMPLIANCE', 'users.view')).toBe(true);
    expect(can('COMPLIANCE', 'staff')).toBe(false);
    expect(can('EDITOR', 'staff')).toBe(false);
    expect(can('ADMIN', 'staff')).toBe(true);
    expect(can('ADMIN', 'models')).toBe(true);
    expect(can(null, 'dashboard')).toBe(false);
  });

  it('guards paths, including sub-paths', () => {
    expect(canOpen('EDITOR', '/catalogue/abc')).toBe(true);
    expect(canOpen('EDITOR', '/users')).toBe(false);
    expect(canOpen('EDITOR', '/users/abc')).toBe(false);
    expect(canOpen('COMPLIANCE', '/catalogue/new')).toBe(false);
    expect(canOpen('COMPLIANCE', '/users/abc')).toBe(true);
    expect(canOpen('ADMIN', '/')).toBe(true);
    expect(canOpen('ADMIN', '/nowhere')).toBe(false);
    expect(screenForPath('/cataloguex')).toBeUndefined();
  });

  it('leaves a screen out while the API lacks its fields', () => {
    const noUsers: SchemaFields = { query: new Set([...SCHEMA.query].filter((f) => f !== 'users')), mutation: SCHEMA.mutation };
    expect(labels('ADMIN', noUsers)).toEqual(['Dashboard', 'Catalogue']);
    expect(hasFields({ query: ['movies'], mutation: ['noSuchMutationInTheSchema'] })).toBe(false);
    expect(hasFields({ query: ['movies'], mutation: ['updateMovie'] })).toBe(true);
  });

  it('every implemented screen’s fields exist in schema.graphql', () => {
    for (const s of SCREENS.filter((x) => x.implemented)) expect(hasFields(s.requires), s.id).toBe(true);
  });

  it('planned screens are not in the navigation until implemented', () => {
    const everything: SchemaFields = {
      query: new Set([...SCHEMA.query, ...SCREENS.flatMap((s) => s.requires.query ?? [])]),
      mutation: SCHEMA.mutation,
    };
    expect(labels('ADMIN', everything)).toEqual(['Dashboard', 'Catalogue', 'Users']);
  });
});
