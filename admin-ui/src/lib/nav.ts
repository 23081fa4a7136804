// The console's screens. A screen is in the navigation when the signed-in role may use it
// AND the API has the root fields it needs, so screens can be registered before the API
// grows and appear once schema.graphql has their fields.
import type { StaffRole } from '../gql/graphql';
import { can, type Capability } from './roles';
import { hasFields, SCHEMA, type Requires, type SchemaFields } from './schema';

export type ScreenId =
  | 'dashboard'
  | 'catalogue'
  | 'collections'
  | 'pins'
  | 'diversity'
  | 'experiments'
  | 'preview'
  | 'users'
  | 'privacy'
  | 'audit'
  | 'staff';

export interface ScreenDef {
  id: ScreenId;
  label: string;
  /** Path under the console's base, e.g. `/catalogue`. */
  path: string;
  capability: Capability;
  requires: Requires;
  /** Whether the console has an implementation of the screen yet. */
  implemented: boolean;
}

/**
 * Every planned screen. Field names for the unimplemented ones are the expected API names;
 * until they exist in schema.graphql those screens stay out of the navigation.
 */
export const SCREENS: readonly ScreenDef[] = [
  { id: 'dashboard', label: 'Dashboard', path: '/', capability: 'dashboard', requires: { query: ['catalogueStats', 'currentStaff'] }, implemented: true },
  {
    id: 'catalogue',
    label: 'Catalogue',
    path: '/catalogue',
    capability: 'catalogue.view',
    requires: { query: ['movies', 'movie', 'genres'] },
    implemented: true,
  },
  {
    id: 'collections',
    label: 'Collections',
    path: '/collections',
    capability: 'curation',
    requires: { query: ['collections', 'collection', 'movies'], mutation: ['createCollection', 'updateCollection', 'setCollectionMovies'] },
    implemented: true,
  },
  {
    id: 'pins',
    label: 'Pins & rules',
    path: '/pins',
    capability: 'curation',
    requires: { query: ['placements', 'rules'], mutation: ['createPlacement', 'deletePlacement', 'createRule', 'deleteRule'] },
    implemented: true,
  },
  {
    id: 'diversity',
    label: 'Diversity',
    path: '/diversity',
    capability: 'curation',
    requires: { query: ['diversitySettings', 'previewRecommendations'], mutation: ['setDiversitySettings'] },
    implemented: true,
  },
  {
    id: 'experiments',
    label: 'Experiments',
    path: '/experiments',
    capability: 'experiments',
    requires: { query: ['experiments', 'experiment'], mutation: ['createExperiment', 'startExperiment', 'stopExperiment', 'shipVariant'] },
    implemented: true,
  },
  { id: 'preview', label: 'Preview', path: '/preview', capability: 'preview', requires: { query: ['previewHomeFeed', 'previewRecommendations'] }, implemented: true },
  { id: 'users', label: 'Users', path: '/users', capability: 'users.view', requires: { query: ['users', 'user'] }, implemented: true },
  {
    id: 'privacy',
    label: 'Privacy',
    path: '/privacy',
    capability: 'privacy',
    requires: { query: ['deletionRequests', 'deletionRequest'], mutation: ['requestDataDeletion', 'approveDeletionRequest', 'rejectDeletionRequest', 'completeDeletionRequest'] },
    implemented: true,
  },
  { id: 'audit', label: 'Audit log', path: '/audit', capability: 'audit', requires: { query: ['auditLog'] }, implemented: true },
  { id: 'staff', label: 'Staff', path: '/staff', capability: 'staff', requires: { query: ['staffAccounts'], mutation: ['createStaff', 'updateStaff'] }, implemented: true },
];

/** The screens a role sees, in navigation order. */
export function visibleScreens(role: StaffRole | null | undefined, schema: SchemaFields = SCHEMA): ScreenDef[] {
  return SCREENS.filter((s) => s.implemented && can(role, s.capability) && hasFields(s.requires, schema));
}

/** The screen a path belongs to (`/catalogue/abc` → catalogue). */
export function screenForPath(path: string): ScreenDef | undefined {
  if (path === '/' || path === '') return SCREENS[0];
  return SCREENS.find((s) => s.path !== '/' && (path === s.path || path.startsWith(`${s.path}/`)));
}

/** Whether a role may open a path (unknown paths: no). */
export function canOpen(role: StaffRole | null | undefined, path: string, schema: SchemaFields = SCHEMA): boolean {
  const s = screenForPath(path);
  return !!s && visibleScreens(role, schema).some((v) => v.id === s.id);
}
