import type { CodegenConfig } from '@graphql-codegen/cli';

// Every operation in src/graphql/*.graphql is validated against the API contract
// (../schema.graphql, exported from the Rust code) and typed. An unknown field or
// argument makes codegen, and so `npm run typecheck` and `npm run build`, fail.
const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/graphql/**/*.graphql'],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    'src/gql/graphql.ts': {
      // typescript-operations (v6) emits the enums and input types the operations use, so the
      // schema-wide `typescript` plugin is not needed (combined, it would declare them twice).
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        documentMode: 'string',
        enumType: 'string-literal',
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        skipTypename: true,
        strictScalars: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
        dedupeFragments: true,
      },
    },
    // Root field names, so navigation can show a screen only when the API has it.
    'src/gql/capabilities.ts': {
      plugins: ['./codegen/capabilities.cjs'],
    },
  },
};

export default config;
