// The console's operations against the API contract (codegen checks this too; this test
// keeps the check in `npm test` and shows what a failure looks like).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import codegenConfig from '../codegen';

const root = join(__dirname, '..');
// The same schema file codegen reads (../schema.graphql).
const schemaFiles = ([] as unknown[]).concat(codegenConfig.schema).filter((f): f is string => typeof f === 'string');
const schema = buildSchema(schemaFiles.map((f) => readFileSync(join(root, f), 'utf8')).join('\n'));
const dir = join(root, 'src', 'graphql');
const sources = readdirSync(dir)
  .filter((f) => f.endsWith('.graphql'))
  .map((f) => readFileSync(join(dir, f), 'utf8'));
// Fragments are shared across files: validate all operations as one document.
const all: DocumentNode = parse(sources.join('\n'));

describe('operations', () => {
  it('all validate against the schema codegen uses', () => {
    expect(schemaFiles[0]).toBe('../schema.graphql');
    expect(validate(schema, all).map((e) => e.message)).toEqual([]);
  });

  it('a field the API lacks is rejected', () => {
    const errs = validate(schema, parse('query X { catalogueStats { movies nope } }'));
    expect(errs.map((e) => e.message)).toEqual(['Cannot query field "nope" on type "CatalogueStats".']);
  });

  it('every operation is named (server metrics label requests by name)', () => {
    for (const d of all.definitions) {
      if (d.kind === 'OperationDefinition') expect(d.name?.value).toBeTruthy();
    }
  });
});
