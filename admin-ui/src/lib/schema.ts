// Which root fields the API (schema.graphql at build time) offers.
import { mutationFields, queryFields } from '../gql/capabilities';

export interface SchemaFields {
  query: ReadonlySet<string>;
  mutation: ReadonlySet<string>;
}

export const SCHEMA: SchemaFields = {
  query: new Set(queryFields),
  mutation: new Set(mutationFields),
};

/** Field requirements of a screen or panel: every listed root field must exist. */
export interface Requires {
  query?: readonly string[];
  mutation?: readonly string[];
}

export function hasFields(req: Requires | undefined, schema: SchemaFields = SCHEMA): boolean {
  if (!req) return true;
  return (req.query ?? []).every((f) => schema.query.has(f)) && (req.mutation ?? []).every((f) => schema.mutation.has(f));
}
