import { ErrorMessage } from '../components/ErrorMessage';
import { formatNumber } from '../components/format';
import { DashboardDocument, GenresDocument } from '../gql/graphql';
import { useQuery } from '../lib/api';
import { can, ROLE_LABELS } from '../lib/roles';
import { hasFields } from '../lib/schema';
import type { Session } from '../lib/session';

/** Panels waiting for API fields; each shows once schema.graphql has them (then needs a real implementation). */
const PENDING_PANELS = [
  {
    title: 'Model versions and training',
    requires: { query: ['modelVersions'], mutation: ['trainModels'] },
    text: 'Lists trained recommender model versions with their metrics, marks the active one, and starts a training run.',
    capability: 'models' as const,
  },
  {
    title: 'Activity charts',
    requires: { query: ['activityStats'] },
    text: 'Daily events, ratings and new users over the last 30 days, and recommendation click-through.',
    capability: 'dashboard' as const,
  },
];

export function Dashboard({ session }: { session: Session }) {
  const q = useQuery(DashboardDocument, {});
  const genres = useQuery(GenresDocument, {});
  const stats = q.data?.catalogueStats;
  const cards: Array<{ label: string; value: number | undefined }> = [
    { label: 'Movies', value: stats?.movies },
    { label: 'Users', value: stats?.users },
    { label: 'Ratings', value: stats?.ratings },
    { label: 'Events', value: stats?.events },
  ];
  const topGenres = [...(genres.data?.genres ?? [])].sort((a, b) => b.movieCount - a.movieCount).slice(0, 12);
  const maxCount = Math.max(1, ...topGenres.map((g) => g.movieCount));

  return (
    <>
      <h1 tabIndex={-1}>Dashboard</h1>
      <ErrorMessage error={q.error} onRetry={q.reload} />
      <section aria-labelledby="stats-title" aria-busy={q.loading}>
        <h2 id="stats-title">Catalogue at a glance</h2>
        <dl className="stats">
          {cards.map((c) => (
            <div className="stat" key={c.label} data-stat={c.label.toLowerCase()}>
              <dt>{c.label}</dt>
              <dd>{c.value === undefined ? '…' : formatNumber(c.value)}</dd>
            </div>
          ))}
        </dl>
        <p className="hint">Movies include unavailable ones.</p>
      </section>

      <div className="panels">
        <section aria-labelledby="me-title" className="panel">
          <h2 id="me-title">Signed in</h2>
          <dl className="facts">
            <dt>Email</dt>
            <dd>{q.data?.currentStaff.email ?? session.email}</dd>
            <dt>Role</dt>
            <dd>{ROLE_LABELS[q.data?.currentStaff.role ?? session.role]}</dd>
            <dt>Session ends</dt>
            <dd>{new Date(session.expiresAt).toLocaleString()}</dd>
          </dl>
        </section>

        <section aria-labelledby="genres-title" className="panel">
          <h2 id="genres-title">Available movies by genre</h2>
          <ErrorMessage error={genres.error} onRetry={genres.reload} />
          {genres.data && topGenres.length === 0 && <p>No genres yet.</p>}
          {topGenres.length > 0 && (
            <figure className="bars">
              <figcaption className="visually-hidden">Top {topGenres.length} genres by number of available movies</figcaption>
              <table>
                <thead className="visually-hidden">
                  <tr>
                    <th scope="col">Genre</th>
                    <th scope="col">Available movies</th>
                  </tr>
                </thead>
                <tbody>
                  {topGenres.map((g) => (
                    <tr key={g.genre.id}>
                      <th scope="row">{g.genre.name}</th>
                      <td>
                        <span className="bar" style={{ width: `${(g.movieCount / maxCount) * 100}%` }} aria-hidden="true" />
                        <span className="bar-value">{formatNumber(g.movieCount)}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </figure>
          )}
        </section>

        {PENDING_PANELS.filter((p) => can(session.role, p.capability)).map((p) => (
          <section key={p.title} className="panel pending" aria-labelledby={`pending-${p.title}`}>
            <h2 id={`pending-${p.title}`}>{p.title}</h2>
            {hasFields(p.requires) ? (
              <p>The API now offers this; the console panel is still to be built.</p>
            ) : (
              <>
                <p className="badge">Coming soon</p>
                <p>{p.text}</p>
                <p className="hint">
                  Waits for the API fields{' '}
                  {[...(p.requires.query ?? []), ...(p.requires.mutation ?? [])].map((f, i) => (
                    <span key={f}>
                      {i > 0 && ', '}
                      <code>{f}</code>
                    </span>
                  ))}
                  .
                </p>
              </>
            )}
          </section>
        ))}
      </div>
    </>
  );
}
