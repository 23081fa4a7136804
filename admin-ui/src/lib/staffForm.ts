// Staff accounts: the "add staff" form and the rules on changing accounts.
import type { StaffInput, StaffRole } from '../gql/graphql';

export const STAFF_ROLES: readonly StaffRole[] = ['ADMIN', 'EDITOR', 'COMPLIANCE'];
export const MIN_PASSWORD = 10; // as the server (graphql::admin::MIN_PASSWORD_CHARS)

export interface StaffFormValues {
  email: string;
  password: string;
  role: StaffRole | '';
}

export type StaffFormErrors = Partial<Record<keyof StaffFormValues, string>>;

export function validateStaffForm(v: StaffFormValues): { errors: StaffFormErrors; input: StaffInput | null } {
  const errors: StaffFormErrors = {};
  const email = v.email.trim().toLowerCase();
  if (!email) errors.email = 'Email is required.';
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) errors.email = 'Enter a valid email address.';
  if ([...v.password].length < MIN_PASSWORD) errors.password = `The password must have at least ${MIN_PASSWORD} characters.`;
  else if ([...v.password].length > 200) errors.password = 'The password must be at most 200 characters.';
  if (!v.role || !STAFF_ROLES.includes(v.role)) errors.role = 'Choose a role.';
  if (Object.keys(errors).length > 0) return { errors, input: null };
  return { errors, input: { email, password: v.password, role: v.role as StaffRole } };
}

/**
 * A staff member may not lock themselves out: no disabling or demoting their own account
 * (another admin can). Returns why an action is refused, or null.
 */
export function selfChangeBlocked(ownEmail: string, account: { email: string }, change: { role?: StaffRole; disabled?: boolean }): string | null {
  if (ownEmail.trim().toLowerCase() !== account.email.trim().toLowerCase()) return null;
  if (change.disabled === true) return 'You cannot disable your own account.';
  if (change.role !== undefined && change.role !== 'ADMIN') return 'You cannot change your own role.';
  return null;
}
