// What each staff role may see and do. The server enforces the same rules; the console
// only hides what a role cannot use.
import type { StaffRole } from '../gql/graphql';

export type Capability =
  | 'dashboard'
  | 'catalogue.view'
  | 'catalogue.edit'
  | 'catalogue.includeUnavailable'
  | 'curation'
  | 'experiments'
  | 'preview'
  | 'users.view'
  | 'privacy'
  | 'audit'
  | 'staff'
  | 'models';

const EDITOR: readonly Capability[] = [
  'dashboard',
  'catalogue.view',
  'catalogue.edit',
  'catalogue.includeUnavailable',
  'curation',
  'experiments',
  'preview',
];
const COMPLIANCE: readonly Capability[] = ['dashboard', 'users.view', 'privacy', 'audit'];

export const ROLE_CAPABILITIES: Readonly<Record<StaffRole, ReadonlySet<Capability>>> = {
  ADMIN: new Set<Capability>([...EDITOR, ...COMPLIANCE, 'staff', 'models']),
  EDITOR: new Set(EDITOR),
  COMPLIANCE: new Set(COMPLIANCE),
};

export function can(role: StaffRole | null | undefined, cap: Capability): boolean {
  return role != null && (ROLE_CAPABILITIES[role]?.has(cap) ?? false);
}

export const ROLE_LABELS: Readonly<Record<StaffRole, string>> = {
  ADMIN: 'Admin',
  EDITOR: 'Editor',
  COMPLIANCE: 'Compliance',
};

/** What a role may do, in a sentence (shown when a role is about to change). */
export const ROLE_SCOPES: Readonly<Record<StaffRole, string>> = {
  ADMIN: 'everything, including staff accounts and model training',
  EDITOR: 'the catalogue, collections, pins and rules, diversity, experiments and preview',
  COMPLIANCE: 'users, privacy requests and the audit log',
};
