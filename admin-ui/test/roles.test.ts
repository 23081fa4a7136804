import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { StaffRole } from '../src/gql/graphql';
import { canOpen, SCREENS, screenForPath, visibleScreens } from '../src/lib/nav';
import { can } from '../src/lib/roles';
import { hasFields, SCHEMA, type SchemaFields } from '../src/lib/schema';

const labels = (role: StaffRole, schema?: SchemaFields) => visibleScreens(role, schema).map((s) => s.label);

describe('role-based visibility', () => {
  it('shows each role its screens (against the current schema)', () => {
    expect(labels('ADMIN')).toEqual([
      'Dashboard',
      'Catalogue',
      'Collections',
      'Pins & rules',
      'Diversity',
      'Experiments',
      'Preview',
      'Users',
      'Privacy',
      'Audit log',
      'Staff',
    ]);
    expect(labels('EDITOR')).toEqual(['Dashboard', 'Catalogue', 'Collections', 'Pins & rules', 'Diversity', 'Experiments', 'Preview']);
    expect(labels('COMPLIANCE')).toEqual(['Dashboard', 'Users', 'Privacy', 'Audit log']);
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
    expect(can('EDITOR', 'experiments')).toBe(true);
    expect(can('ADMIN', 'experiments')).toBe(true);
    expect(can('COMPLIANCE', 'experiments')).toBe(false);
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
    expect(canOpen('EDITOR', '/collections/noir-week')).toBe(true);
    expect(canOpen('EDITOR', '/preview')).toBe(true);
    expect(canOpen('EDITOR', '/privacy')).toBe(false);
    expect(canOpen('EDITOR', '/privacy/abc')).toBe(false);
    expect(canOpen('EDITOR', '/audit')).toBe(false);
    expect(canOpen('EDITOR', '/staff')).toBe(false);
    expect(canOpen('COMPLIANCE', '/privacy/abc')).toBe(true);
    expect(canOpen('COMPLIANCE', '/audit')).toBe(true);
    expect(canOpen('COMPLIANCE', '/collections')).toBe(false);
    expect(canOpen('COMPLIANCE', '/pins')).toBe(false);
    expect(canOpen('COMPLIANCE', '/staff')).toBe(false);
    expect(canOpen('ADMIN', '/staff')).toBe(true);
    expect(canOpen('EDITOR', '/experiments')).toBe(true);
    expect(canOpen('EDITOR', '/experiments/new')).toBe(true);
    expect(canOpen('ADMIN', '/experiments/42')).toBe(true);
    expect(canOpen('COMPLIANCE', '/experiments')).toBe(false);
    expect(canOpen('COMPLIANCE', '/experiments/42')).toBe(false);
    expect(screenForPath('/experimentsx')).toBeUndefined();
    expect(screenForPath('/cataloguex')).toBeUndefined();
  });

  it('leaves a screen out while the API lacks its fields', () => {
    const noUsers: SchemaFields = { query: new Set([...SCHEMA.query].filter((f) => f !== 'users')), mutation: SCHEMA.mutation };
    expect(labels('ADMIN', noUsers)).not.toContain('Users');
    expect(labels('ADMIN', noUsers)).toContain('Privacy');
    expect(hasFields({ query: ['movies'], mutation: ['noSuchMutationInTheSchema'] })).toBe(false);
    expect(hasFields({ query: ['movies'], mutation: ['updateMovie'] })).toBe(true);
  });

  it('every implemented screen’s fields exist in schema.graphql', () => {
    for (const s of SCREENS.filter((x) => x.implemented)) expect(hasFields(s.requires), s.id).toBe(true);
  });

  it('without the new API (schema.graphql before it), the new screens stay out of the navigation', () => {
    const before = buildSchema(readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8'));
    const old: SchemaFields = {
      query: new Set(Object.keys(before.getQueryType()!.getFields()).filter((f) => f !== 'placements' && f !== 'deletionRequests')),
      mutation: new Set(Object.keys(before.getMutationType()!.getFields())),
    };
    // schema.graphql may already contain the new API; remove two fields to be sure the rule holds.
    expect(labels('ADMIN', old)).not.toContain('Pins & rules');
    expect(labels('ADMIN', old)).not.toContain('Privacy');
    expect(labels('COMPLIANCE', old)).not.toContain('Privacy');
    const noExperiments: SchemaFields = { query: SCHEMA.query, mutation: new Set([...SCHEMA.mutation].filter((f) => f !== 'shipVariant')) };
    expect(labels('EDITOR', noExperiments)).not.toContain('Experiments');
  });
});
