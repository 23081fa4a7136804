import { useEffect, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextField } from '../components/Field';
import { Pager } from '../components/Pager';
import { TableWrap } from '../components/TableWrap';
import { formatDate } from '../components/format';
import { UsersDocument } from '../gql/graphql';
import { useQuery } from '../lib/api';
import { ageBandLabel, genderLabel } from '../lib/audience';
import { Link, navigate, type Location } from '../lib/router';

const PAGE_SIZE = 25;

export function Users({ location }: { location: Location }) {
  const search = location.query.get('q') ?? '';
  const [draft, setDraft] = useState(search);
  useEffect(() => setDraft(search), [search]);
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  useEffect(() => setCursors([null]), [search]);
  const after = cursors[cursors.length - 1] ?? null;
  const users = useQuery(UsersDocument, { first: PAGE_SIZE, after, search: search || null });
  const data = users.data?.users;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = draft.trim();
    navigate(q ? `/users?q=${encodeURIComponent(q)}` : '/users');
  };

  return (
    <>
      <h1 tabIndex={-1}>Users</h1>
      <form className="filters" role="search" aria-label="Find users" onSubmit={submit}>
        <TextField
          label="External id starts with"
          type="search"
          name="search"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          hint="The identity provider's subject, e.g. a MovieLens user id."
        />
        <div className="field actions-field">
          <button type="submit">Search</button>
        </div>
      </form>
      <ErrorMessage error={users.error} onRetry={users.reload} />
      <TableWrap label="End users" busy={users.loading}>
        <table className="data">
          <caption className="visually-hidden">End users</caption>
          <thead>
            <tr>
              <th scope="col">External id</th>
              <th scope="col">Display name</th>
              <th scope="col">Country</th>
              <th scope="col">Age band</th>
              <th scope="col">Gender</th>
              <th scope="col">Personalisation</th>
              <th scope="col">First seen</th>
            </tr>
          </thead>
          <tbody>
            {data?.nodes.map((u) => (
              <tr key={u.id}>
                <th scope="row">
                  <Link to={`/users/${encodeURIComponent(u.id)}`}>{u.externalId}</Link>
                </th>
                <td>{u.displayName ?? '—'}</td>
                <td>{u.country ?? '—'}</td>
                <td>{ageBandLabel(u.ageBand)}</td>
                <td>{genderLabel(u.gender)}</td>
                <td>{u.personalizationConsent ? 'Consented' : 'Declined'}</td>
                <td>{formatDate(u.createdAt)}</td>
              </tr>
            ))}
            {data && data.nodes.length === 0 && (
              <tr>
                <td colSpan={7}>No users match.</td>
              </tr>
            )}
            {!data && users.loading && (
              <tr>
                <td colSpan={7}>Loading…</td>
              </tr>
            )}
          </tbody>
        </table>
      </TableWrap>
      {data && (
        <Pager
          label="User pages"
          page={cursors.length - 1}
          pageSize={PAGE_SIZE}
          shown={data.nodes.length}
          total={data.totalCount}
          hasNext={data.pageInfo.hasNextPage}
          busy={users.loading}
          onPrevious={() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c))}
          onNext={() => data.pageInfo.endCursor && setCursors((c) => [...c, data.pageInfo.endCursor])}
        />
      )}
    </>
  );
}
