// Staff accounts: the "add staff" form and the rules on changing accounts.
import type { CreateStaffInput, StaffRole } from '../gql/graphql';
import { ROLE_LABELS } from './roles';

export const STAFF_ROLES: readonly StaffRole[] = ['ADMIN', 'EDITOR', 'COMPLIANCE'];
export const MIN_PASSWORD = 10; // as the server (graphql::admin::MIN_PASSWORD_CHARS)
export const MAX_PASSWORD = 200;

export interface StaffFormValues {
  email: string;
  password: string;
  role: StaffRole | '';
}

export type StaffFormErrors = Partial<Record<keyof StaffFormValues, string>>;

export function validateStaffForm(v: StaffFormValues): { errors: StaffFormErrors; input: CreateStaffInput | null } {
  const errors: StaffFormErrors = {};
  const email = v.email.trim().toLowerCase();
  if (!email) errors.email = 'Email is required.';
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) errors.email = 'Enter a valid email address.';
  const password = passwordError(v.password);
  if (password) errors.password = password;
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

/** Why a new password is refused (too short or too long, counted in characters), or null. */
export function passwordError(password: string): string | null {
  const n = [...password].length;
  if (n < MIN_PASSWORD) return `The password must have at least ${MIN_PASSWORD} characters.`;
  if (n > MAX_PASSWORD) return `The password must be at most ${MAX_PASSWORD} characters.`;
  return null;
}

/** Letters and digits without look-alikes (0/O, 1/l/I), plus a few symbols that survive copy and paste. */
export const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.!?@#%+=';
/** 20 characters of a 67-character alphabet: about 121 bits. */
export const GENERATED_PASSWORD_LENGTH = 20;

/**
 * A random password from a cryptographic source (`crypto.getRandomValues` by default; tests
 * pass their own). Bytes that would favour some characters (≥ 256 − 256 mod alphabet size)
 * are drawn again, so every character is equally likely.
 */
export function generatePassword(
  length: number = GENERATED_PASSWORD_LENGTH,
  fill: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
  alphabet: string = PASSWORD_ALPHABET,
): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of fill(new Uint8Array(length * 2))) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** "Editor → Admin": the sentence a role-change confirmation names. */
export function roleChange(from: StaffRole, to: StaffRole): string {
  return `${ROLE_LABELS[from]} → ${ROLE_LABELS[to]}`;
}
