import { useState } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { LineChart } from '../components/LineChart';
import { TableWrap } from '../components/TableWrap';
import { formatDate, formatNumber } from '../components/format';
import { ActivityStatsDocument, DashboardDocument, GenresDocument, ModelVersionsDocument, RequestStatsDocument, TrainModelsDocument } from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import { activitySeries, metricsNote, modelMetricSeries } from '../lib/chart';
import { can, ROLE_LABELS } from '../lib/roles';
import { hasFields } from '../lib/schema';
import type { Session } from '../lib/session';

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

        {hasFields({ query: ['requestStats'] }) && <RequestStatsPanel />}
      </div>

      {hasFields({ query: ['activityStats'] }) && <ActivityPanel />}
      {can(session.role, 'models') && hasFields({ query: ['modelVersions', 'trainingStatus'] }) && <ModelsPanel />}
    </>
  );
}

const ACTIVITY_DAYS = 30;

function ActivityPanel() {
  const q = useQuery(ActivityStatsDocument, { days: ACTIVITY_DAYS });
  const days = q.data?.activityStats ?? [];
  const { labels, series, days: dayKeys } = activitySeries(days);
  const totals = series.map((s) => ({ label: s.label, total: s.values.reduce<number>((a, v) => a + (v ?? 0), 0) }));
  return (
    <section className="panel" aria-labelledby="activity-title" aria-busy={q.loading}>
      <h2 id="activity-title">Activity, last {ACTIVITY_DAYS} days</h2>
      <ErrorMessage error={q.error} onRetry={q.reload} />
      {q.data && days.length === 0 && <p>No activity recorded yet.</p>}
      {days.length > 0 && (
        <>
          <p className="totals">
            {totals.map((t, i) => (
              <span key={t.label}>
                {i > 0 && ' · '}
                {t.label}: <strong>{formatNumber(t.total)}</strong>
              </span>
            ))}
          </p>
          <LineChart title={`Events, ratings and new users per day over the last ${ACTIVITY_DAYS} days`} labels={labels} series={series} xLabel="Day (UTC)" yLabel="Count per day" />
          <details>
            <summary>Data table</summary>
            <TableWrap label="Activity per day">
            <table className="data compact">
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  {series.map((s) => (
                    <th key={s.key} scope="col" className="num">
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {dayKeys.map((d, i) => (
                  <tr key={d}>
                    <th scope="row">{d}</th>
                    {series.map((s) => (
                      <td key={s.key} className="num">
                        {formatNumber(s.values[i] ?? 0)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            </TableWrap>
          </details>
        </>
      )}
    </section>
  );
}

function RequestStatsPanel() {
  const q = useQuery(RequestStatsDocument, {});
  const r = q.data?.requestStats;
  const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')} ms`;
  return (
    <section className="panel" aria-labelledby="requests-title" aria-busy={q.loading}>
      <div className="title-row">
        <h2 id="requests-title">API requests</h2>
        <button type="button" className="secondary small" onClick={q.reload} disabled={q.loading}>
          Refresh
        </button>
      </div>
      <ErrorMessage error={q.error} onRetry={q.reload} />
      {r && (
        <dl className="facts" data-panel="requests">
          <dt>Rate</dt>
          <dd>{r.requestsPerMinute.toFixed(1)} per minute</dd>
          <dt>Latency p50 / p95 / p99</dt>
          <dd>
            {ms(r.p50Ms)} / {ms(r.p95Ms)} / {ms(r.p99Ms)}
          </dd>
          <dt>Since start</dt>
          <dd>
            {formatNumber(r.totalRequests)} requests, {formatNumber(r.errors)} errors
            {r.totalRequests > 0 && ` (${((r.errors / r.totalRequests) * 100).toFixed(1)}%)`}
          </dd>
        </dl>
      )}
    </section>
  );
}

function ModelsPanel() {
  const q = useQuery(ModelVersionsDocument, { first: 20 });
  const train = useMutation(TrainModelsDocument);
  const [metric, setMetric] = useState<string | undefined>(undefined);
  const versions = q.data?.modelVersions ?? [];
  const chart = modelMetricSeries(versions, metric);
  const status = train.pending ? undefined : (q.data?.trainingStatus ?? undefined);

  async function startTraining() {
    const r = await train.run({});
    if (r) q.setData((d) => d && { ...d, trainingStatus: r.trainModels.trainingStatus });
  }

  return (
    <section className="panel" aria-labelledby="models-title" aria-busy={q.loading}>
      <div className="title-row">
        <h2 id="models-title">Model versions</h2>
        <button type="button" className="secondary small" onClick={q.reload} disabled={q.loading}>
          Refresh
        </button>
        <button type="button" onClick={startTraining} disabled={train.pending || q.data?.trainingStatus.running}>
          {q.data?.trainingStatus.running ? 'Training…' : 'Train now'}
        </button>
      </div>
      <ErrorMessage error={q.error ?? train.error} onRetry={q.reload} />
      {status && (
        <p className="hint" role="status">
          {status.running
            ? `Training: ${status.stage ?? 'running'} (started ${formatDate(status.startedAt)}).`
            : status.lastError
              ? `The last training failed: ${status.lastError}`
              : status.finishedAt
                ? `Last training finished ${formatDate(status.finishedAt)}.`
                : 'No training has run since the server started.'}
        </p>
      )}
      {q.data && versions.length === 0 && <p>No model versions yet.</p>}
      {chart.metric && chart.series.length > 0 && (
        <>
          <div className="field inline-field">
            <label htmlFor="metric-select">Offline metric</label>
            <select id="metric-select" value={chart.metric} onChange={(e) => setMetric(e.target.value)}>
              {chart.metrics.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </div>
          <LineChart
            title={`${chart.metric} per model across versions, oldest to newest`}
            labels={chart.labels}
            series={chart.series}
            xLabel="Version (training date)"
            yLabel={chart.metric}
            zeroBased={false}
            formatValue={(v) => String(Number(v.toPrecision(4)))}
          />
        </>
      )}
      {versions.length > 0 && (
        <TableWrap label="Model versions">
        <table className="data compact">
          <caption className="visually-hidden">Model versions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Trained</th>
              <th scope="col">Algorithm</th>
              <th scope="col">Data up to</th>
              <th scope="col">Metrics</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.id}>
                <th scope="row">
                  {formatDate(v.trainedAt)} {v.active && <span className="pill ok">Active</span>}
                </th>
                <td>{v.algorithm}</td>
                <td>{formatDate(v.dataCutoff)}</td>
                <td>{metricsNote(v.metrics) ?? (chart.metric ? metricSummary(chart, v.id) : '—')}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </TableWrap>
      )}
    </section>
  );
}

function metricSummary(chart: ReturnType<typeof modelMetricSeries>, versionId: string): string {
  const i = chart.versionIds.indexOf(versionId);
  const parts = chart.series
    .map((s) => (s.values[i] == null ? null : `${s.label} ${Number((s.values[i] as number).toPrecision(3))}`))
    .filter(Boolean);
  return parts.length > 0 ? `${chart.metric}: ${parts.join(', ')}` : '—';
}
