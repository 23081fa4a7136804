// The GraphQL-over-HTTP conformance audit (the `graphql-http` package's server audits) and
// graphql-js's standard introspection query, against a running `marquee serve`
// (MARQUEE_URL). Prints a table; exits 1 on any MUST or SHOULD failure, or when the
// introspection query is refused or does not build a client schema.
//
//   MARQUEE_URL=http://127.0.0.1:8080 node e2e/graphql-over-http.mjs
import { auditServer } from 'graphql-http';
import { buildClientSchema, getIntrospectionQuery } from 'graphql';

const base = process.env.MARQUEE_URL;
if (!base) {
  console.error('set MARQUEE_URL (e.g. http://127.0.0.1:8080)');
  process.exit(2);
}
const url = `${base}/graphql`;

const results = await auditServer({ url, fetchFn: fetch });
const rows = results.map((r) => ({
  id: r.id,
  level: r.name.split(' ')[0],
  status: r.status,
  name: r.name,
  reason: r.status === 'ok' ? '' : r.reason,
}));
console.log('| audit | level | status | requirement | reason |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.id} | ${r.level} | ${r.status} | ${r.name} | ${r.reason.replace(/\n/g, ' ')} |`);
}
const failed = rows.filter((r) => r.status !== 'ok' && (r.level === 'MUST' || r.level === 'SHOULD'));
const count = (level) => rows.filter((r) => r.level === level && r.status === 'ok').length;
const total = (level) => rows.filter((r) => r.level === level).length;
console.log(
  `\nMUST ${count('MUST')}/${total('MUST')}, SHOULD ${count('SHOULD')}/${total('SHOULD')}, ` +
    `MAY ${count('MAY')}/${total('MAY')} passed`,
);

// The introspection query graphql-js (and so GraphiQL, graphql-codegen, Apollo's tooling)
// sends, with every option it has, must pass the server's default limits.
let introspectionFailed = false;
for (const options of [{}, {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
}]) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
    },
    body: JSON.stringify({ query: getIntrospectionQuery(options) }),
  });
  const body = await res.json();
  if (res.status !== 200 || body.errors) {
    console.log(`introspection ${JSON.stringify(options)}: ${res.status} ${JSON.stringify(body.errors)}`);
    introspectionFailed = true;
    continue;
  }
  const schema = buildClientSchema(body.data);
  console.log(
    `introspection ${JSON.stringify(options)}: ok, ${Object.keys(schema.getTypeMap()).length} types`,
  );
}

if (failed.length > 0 || introspectionFailed) {
  for (const f of failed) console.error(`FAILED ${f.id} ${f.name}: ${f.reason}`);
  process.exit(1);
}
