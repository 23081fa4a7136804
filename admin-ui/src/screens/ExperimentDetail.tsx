import { useEffect, useState } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextField } from '../components/Field';
import { formatDate, formatNumber } from '../components/format';
import { IntervalChart } from '../components/IntervalChart';
import { LineChart } from '../components/LineChart';
import {
  ExperimentDocument,
  ShipVariantDocument,
  StartExperimentDocument,
  StopExperimentDocument,
  type ExperimentDetailFragment,
  type ExperimentResultsFieldsFragment,
} from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import { METRIC_HINTS, METRIC_NAMES, SURFACE_NAMES } from '../lib/experimentForm';
import {
  canShipVariant,
  controlNote,
  describeVariantDiversity,
  describeVariantRanking,
  experimentActions,
  formatCoverage,
  formatDifference,
  formatDifferenceInterval,
  formatInterval,
  formatMetricTick,
  formatMetricValue,
  formatPStatement,
  formatPValue,
  formatRelative,
  formatShare,
  formatTraffic,
  lowerIsBetter,
  metricTables,
  observedShares,
  overTimeSeries,
  shipBlocker,
  totalUsers,
  validateStopReason,
  verdict,
  type MetricTable,
} from '../lib/experiments';
import { Link } from '../lib/router';
import { ExperimentStatusPill } from './Experiments';

export function ExperimentDetail({ id }: { id: string }) {
  const q = useQuery(ExperimentDocument, { id });
  const experiment = q.data?.experiment;
  useEffect(() => {
    if (experiment) document.title = `Experiment ${experiment.name} · Marquee admin`;
  }, [experiment]);

  if (!experiment) {
    if (q.error) {
      return (
        <>
          <Back />
          <h1 tabIndex={-1}>Experiment</h1>
          <ErrorMessage error={q.error} onRetry={q.reload} />
        </>
      );
    }
    return <p aria-busy="true">Loading…</p>;
  }
  return (
    <ExperimentView
      experiment={experiment}
      refreshing={q.loading}
      refreshError={q.error}
      onRefresh={q.reload}
      onChanged={(e) => q.setData(() => ({ experiment: e }))}
    />
  );
}

function Back() {
  return (
    <p>
      <Link to="/experiments">← Back to experiments</Link>
    </p>
  );
}

type Pending = { kind: 'stop' } | { kind: 'ship'; variant: string } | null;

export function ExperimentView({
  experiment: e,
  refreshing,
  refreshError,
  onRefresh,
  onChanged,
}: {
  experiment: ExperimentDetailFragment;
  refreshing: boolean;
  refreshError: unknown;
  onRefresh: () => void;
  onChanged: (e: ExperimentDetailFragment) => void;
}) {
  const start = useMutation(StartExperimentDocument);
  const stop = useMutation(StopExperimentDocument);
  const ship = useMutation(ShipVariantDocument);
  const [status, setStatus] = useState('');
  const [pending, setPending] = useState<Pending>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | undefined>();
  const actions = experimentActions(e);
  const created = typeof window !== 'undefined' && new URLSearchParams(window.location.search).has('created');

  function clearErrors() {
    start.clearError();
    stop.clearError();
    ship.clearError();
  }

  async function doStart() {
    clearErrors();
    setStatus('');
    const r = await start.run({ input: { id: e.id } });
    if (r) {
      onChanged(r.startExperiment.experiment);
      setStatus('Started: its variants are served from the next request.');
    }
  }

  function openStop() {
    clearErrors();
    setReason('');
    setReasonError(undefined);
    setPending({ kind: 'stop' });
  }

  function openShip(variant: string) {
    clearErrors();
    setPending({ kind: 'ship', variant });
  }

  async function doStop() {
    const err = validateStopReason(reason);
    setReasonError(err);
    if (err) return;
    setStatus('');
    const r = await stop.run({ input: { id: e.id, reason: reason.trim() } });
    setPending(null);
    if (r) {
      onChanged(r.stopExperiment.experiment);
      setStatus('Stopped: everyone gets the default again.');
    }
  }

  async function doShip(variant: string) {
    setStatus('');
    const r = await ship.run({ input: { experimentId: e.id, variant } });
    setPending(null);
    if (r) {
      onChanged(r.shipVariant.experiment);
      setStatus(`Variant “${variant}” shipped.`);
    }
  }

  const shipping = pending?.kind === 'ship' ? e.variants.find((v) => v.name === pending.variant) : undefined;
  return (
    <>
      <Back />
      <div className="title-row">
        <h1 tabIndex={-1}>Experiment “{e.name}”</h1>
        <ExperimentStatusPill status={e.status} />
      </div>
      <p className="status" role="status" aria-live="polite">
        {status || (created && e.status === 'DRAFT' ? 'Experiment created as a draft.' : '')}
      </p>
      <ErrorMessage error={start.error ?? stop.error ?? ship.error} />

      <section className="panel" aria-labelledby="experiment-definition">
        <h2 id="experiment-definition">Definition</h2>
        {e.description && <p className="experiment-description">{e.description}</p>}
        <dl className="facts inline">
          <dt>Surface</dt>
          <dd>{SURFACE_NAMES[e.surface]}</dd>
          <dt>Primary metric</dt>
          <dd>{METRIC_NAMES[e.primaryMetric]}</dd>
          <dt>Traffic</dt>
          <dd>{formatTraffic(e.trafficFrom, e.trafficTo)}</dd>
          <dt>Orthogonal</dt>
          <dd>{e.orthogonal ? 'Yes: may overlap other experiments' : 'No'}</dd>
          <dt>Attribution window</dt>
          <dd>{e.attributionWindowHours} h</dd>
          <dt>Guardrails</dt>
          <dd>
            {e.guardrails.length === 0 ? 'None' : e.guardrails.map((g) => `${METRIC_NAMES[g.metric]} (tolerance ${formatShare(g.tolerance)})`).join(' · ')}
          </dd>
          <dt>Created</dt>
          <dd>{formatDate(e.createdAt)}</dd>
          <dt>Ends</dt>
          <dd>{e.endsAt ? formatDate(e.endsAt) : 'When stopped'}</dd>
          <dt>Started</dt>
          <dd>{formatDate(e.startedAt)}</dd>
          <dt>Stopped</dt>
          <dd>{formatDate(e.stoppedAt)}</dd>
          <dt>Stop reason</dt>
          <dd data-field="stop-reason">{e.stopReason ?? '—'}</dd>
          <dt>Shipped variant</dt>
          <dd>{e.shippedVariant ?? '—'}</dd>
        </dl>
        <div className="actions">
          {actions.start && (
            <button type="button" onClick={doStart} disabled={start.pending}>
              {start.pending ? 'Starting…' : 'Start experiment'}
            </button>
          )}
          {actions.stop && (
            <button type="button" className="danger" onClick={openStop}>
              Stop experiment…
            </button>
          )}
          {e.status !== 'DRAFT' && (
            <button type="button" className="secondary" onClick={onRefresh} disabled={refreshing}>
              {refreshing ? 'Refreshing…' : 'Refresh results'}
            </button>
          )}
          {e.status === 'DRAFT' && <span className="hint">A draft serves nothing; results appear once it runs.</span>}
        </div>
      </section>

      <section className="panel" aria-labelledby="experiment-variants">
        <h2 id="experiment-variants">Variants</h2>
        <div className="table-wrap">
          <table className="data compact variants">
            <caption className="visually-hidden">Variants, the control first</caption>
            <thead>
              <tr>
                <th scope="col">Variant</th>
                <th scope="col" className="num">
                  Share
                </th>
                <th scope="col">Curation</th>
                <th scope="col">Diversity</th>
                <th scope="col">Pool and blend</th>
                <th scope="col">Ship</th>
              </tr>
            </thead>
            <tbody>
              {e.variants.map((v, i) => (
                <tr key={v.name} data-variant={v.name}>
                  <th scope="row">
                    {v.name}
                    {controlNote(v.name, i) && <span className="hint">{controlNote(v.name, i)}</span>}
                  </th>
                  <td className="num">{formatShare(v.share)}</td>
                  <td>{v.curation ? 'On' : <span className="pill muted">Off</span>}</td>
                  <td>{describeVariantDiversity(v.diversity)}</td>
                  <td data-field="ranking">{describeVariantRanking(v) ?? 'Server’s defaults'}</td>
                  <td>
                    {e.shippedVariant === v.name ? (
                      <span className="pill ok">Shipped</span>
                    ) : canShipVariant(e, v) ? (
                      <button type="button" className="secondary small" aria-label={`Ship variant ${v.name}`} onClick={() => openShip(v.name)}>
                        Ship…
                      </button>
                    ) : actions.ship && shipBlocker(v) ? (
                      <span className="hint">{shipBlocker(v)}</span>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {actions.ship && (
          <p className="hint">
            Shipping makes a variant’s diversity settings the {SURFACE_NAMES[e.surface]} surface’s, stops the experiment and records the winner. A
            variant with curation off, a candidate pool or blend weights cannot be shipped: they are not server settings.
          </p>
        )}
      </section>

      {e.status !== 'DRAFT' && <Results experiment={e} results={e.results} refreshing={refreshing} error={refreshError} onRetry={onRefresh} />}

      <ConfirmDialog
        open={pending !== null}
        title={pending?.kind === 'ship' ? `Ship variant “${pending.variant}”?` : 'Stop this experiment?'}
        confirmLabel={pending?.kind === 'ship' ? 'Ship variant' : 'Stop experiment'}
        pending={stop.pending || ship.pending}
        onCancel={() => setPending(null)}
        onConfirm={() => (pending?.kind === 'ship' ? doShip(pending.variant) : doStop())}
      >
        {pending?.kind === 'ship' ? (
          <>
            <p>
              {shipping?.diversity
                ? `Its diversity settings (${describeVariantDiversity(shipping.diversity)}) replace the ${SURFACE_NAMES[e.surface]} surface’s for everyone.`
                : `It has no diversity settings of its own, so the ${SURFACE_NAMES[e.surface]} surface’s settings stay as they are.`}
            </p>
            <p>{e.status === 'RUNNING' ? 'The experiment stops and the variant is recorded as the winner.' : 'The variant is recorded as the winner.'}</p>
          </>
        ) : (
          <>
            <p>Everyone gets the default again at once. A stopped experiment cannot be restarted.</p>
            <TextField
              label="Reason"
              value={reason}
              error={reasonError}
              maxLength={500}
              hint="Required; kept with the experiment and in the audit log."
              onChange={(ev) => setReason(ev.target.value)}
            />
          </>
        )}
      </ConfirmDialog>
    </>
  );
}

function Results({
  experiment: e,
  results,
  refreshing,
  error,
  onRetry,
}: {
  experiment: ExperimentDetailFragment;
  results: (ExperimentResultsFieldsFragment & Partial<Pick<NonNullable<ExperimentDetailFragment['results']>, 'overTime'>>) | null;
  refreshing: boolean;
  error: unknown;
  onRetry: () => void;
}) {
  const users = totalUsers(results);
  const tables = results ? metricTables(e, results) : [];
  const primary = tables.find((t) => t.primary);
  const breaches = (results?.variants ?? []).flatMap((v) => v.breachedGuardrails.map((m) => ({ variant: v.name, metric: m })));
  return (
    <section className="panel results" aria-labelledby="experiment-results" aria-busy={refreshing}>
      <div className="title-row">
        <h2 id="experiment-results">Results</h2>
        {results && <span className="hint">Computed {formatDate(results.computedAt)}</span>}
      </div>
      <ErrorMessage error={error} onRetry={onRetry} />
      {!results || users === 0 ? (
        <p className="empty-results" data-results="empty">
          No exposures yet: no user has been served this experiment’s lists{e.status === 'RUNNING' ? ' so far. Refresh to see new ones.' : '.'}
        </p>
      ) : (
        <>
          {results.sampleRatio?.mismatch && (
            <div className="warning" role="alert" data-warning="sample-ratio">
              <p>
                <strong>Sample-ratio mismatch: the split is not what was asked; do not trust these results.</strong>
              </p>
              <p>
                χ² = {results.sampleRatio.chiSquare.toFixed(2)}, {formatPStatement(results.sampleRatio.pValue)}. Assignment or logging is broken; compare the
                asked and observed shares below.
              </p>
            </div>
          )}
          {breaches.length > 0 && (
            <div className="warning" role="alert" data-warning="guardrail">
              <p>
                <strong>Guardrail breached:</strong>{' '}
                {breaches
                  .map((b) => `variant “${b.variant}” makes ${METRIC_NAMES[b.metric].toLowerCase()} worse than the control beyond the tolerance`)
                  .join('; ')}
                .
              </p>
            </div>
          )}

          <div className="table-wrap">
            <table className="data compact exposure">
              <caption>Exposure per variant</caption>
              <thead>
                <tr>
                  <th scope="col">Variant</th>
                  <th scope="col" className="num">
                    Users
                  </th>
                  <th scope="col" className="num">
                    Share asked
                  </th>
                  <th scope="col" className="num">
                    Share observed
                  </th>
                  <th scope="col" className="num">
                    Lists
                  </th>
                  <th scope="col" className="num">
                    Coverage
                  </th>
                  <th scope="col">Guardrails</th>
                </tr>
              </thead>
              <tbody>
                {observedShares(e.variants, results).map((s, i) => {
                  const r = results.variants.find((x) => x.name === s.name);
                  const breached = r?.breachedGuardrails ?? [];
                  return (
                    <tr key={s.name} data-variant={s.name} className={breached.length > 0 ? 'breached' : undefined}>
                      <th scope="row">
                        {s.name}
                        {controlNote(s.name, i) && <span className="hint">{controlNote(s.name, i)}</span>}
                      </th>
                      <td className="num">{r ? formatNumber(r.users) : '—'}</td>
                      <td className="num">{formatShare(s.asked)}</td>
                      <td className="num">{s.observed === null ? '—' : formatShare(s.observed)}</td>
                      <td className="num">{r ? formatNumber(r.lists) : '—'}</td>
                      <td className="num">{r ? formatCoverage(r.coverage) : '—'}</td>
                      <td>
                        {breached.length > 0 ? (
                          <span className="pill off">Breached: {breached.map((m) => METRIC_NAMES[m]).join(', ')}</span>
                        ) : r && r.users === 0 ? (
                          <span className="hint">No exposures yet</span>
                        ) : (
                          'OK'
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>

          {primary && (
            <IntervalChart
              title={`${METRIC_NAMES[primary.metric]} per variant, with 95 % intervals`}
              points={primary.rows.map((r) => ({ label: r.variant, value: r.result?.value ?? null, low: r.result?.low ?? null, high: r.result?.high ?? null }))}
              xLabel="Variant"
              yLabel={METRIC_NAMES[primary.metric]}
              formatValue={(v) => formatMetricValue(primary.metric, v)}
              formatAxis={(v) => formatMetricTick(primary.metric, v)}
            />
          )}

          {primary && (results.overTime?.length ?? 0) >= 2 && (
            <OverTimeChart
              experiment={e}
              metric={primary.metric}
              points={results.overTime ?? []}
            />
          )}

          {tables.map((t) => (
            <MetricResultsTable key={t.metric} table={t} />
          ))}
          <p className="hint">
            Decide on the primary metric only: the others are context (testing six metrics at p &lt; 0.05 finds something by chance). Differences are variant −
            control with their 95 % interval (two-sided z-test); rates differ in percentage points (pp).
          </p>
        </>
      )}
    </section>
  );
}

function OverTimeChart({
  experiment: e,
  metric,
  points,
}: {
  experiment: ExperimentDetailFragment;
  metric: ExperimentDetailFragment['primaryMetric'];
  points: NonNullable<NonNullable<ExperimentDetailFragment['results']>['overTime']>;
}) {
  const { labels, series } = overTimeSeries(
    points,
    metric,
    e.variants.map((v) => v.name),
    e.status === 'STOPPED' ? 'At the stop' : 'Now',
  );
  return (
    <div className="over-time" data-chart="over-time">
      <LineChart
        title={`${METRIC_NAMES[metric]} over time (cumulative), with 95 % intervals`}
        labels={labels}
        series={series}
        xLabel="End of day (UTC)"
        yLabel={METRIC_NAMES[metric]}
        formatValue={(v) => formatMetricValue(metric, v)}
      />
      <p className="hint">
        Each point counts everything up to the end of that day. Read it as a trajectory: stopping on the first day the difference looks significant inflates
        false positives; decide the run length before starting.
      </p>
    </div>
  );
}

function MetricResultsTable({ table: t }: { table: MetricTable }) {
  const cols = t.primary ? 8 : 7;
  return (
    <div className="table-wrap metric-table">
      <table className={`data compact metric${t.primary ? ' primary' : ''}`} data-metric={t.metric}>
        <caption>
          {METRIC_NAMES[t.metric]}
          {t.primary && <span className="pill info">Primary metric</span>}
          {t.guardrail !== null && <span className="pill muted">Guardrail: tolerance {formatShare(t.guardrail)}</span>}
          <span className="hint"> {METRIC_HINTS[t.metric]}</span>
        </caption>
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col" className="num">
              Value
            </th>
            <th scope="col">95 % interval</th>
            <th scope="col" className="num">
              Difference vs control
            </th>
            <th scope="col">95 % interval of the difference</th>
            <th scope="col" className="num">
              Relative change
            </th>
            <th scope="col" className="num">
              p-value
            </th>
            {t.primary && <th scope="col">Significant?</th>}
          </tr>
        </thead>
        <tbody>
          {t.rows.map((r) => {
            const cmp = r.result?.vsControl ?? null;
            const v = verdict(t.metric, cmp);
            return (
              <tr key={r.variant} data-variant={r.variant} className={r.breached ? 'breached' : undefined}>
                <th scope="row">
                  {r.variant}
                  {r.control && controlNote(r.variant, 0) && <span className="hint">{controlNote(r.variant, 0)}</span>}
                  {r.breached && <span className="pill off">Guardrail breached</span>}
                </th>
                <td className="num">{r.users === 0 ? 'No exposures yet' : formatMetricValue(t.metric, r.result?.value)}</td>
                <td>{formatInterval(t.metric, r.result?.low, r.result?.high)}</td>
                {r.control ? (
                  <td colSpan={cols - 3} className="hint">
                    Baseline: the other variants are compared with it.
                  </td>
                ) : cmp ? (
                  <>
                    <td className="num">{formatDifference(t.metric, cmp.difference)}</td>
                    <td>{formatDifferenceInterval(t.metric, cmp.low, cmp.high)}</td>
                    <td className="num">{formatRelative(cmp.relative)}</td>
                    <td className="num">{formatPValue(cmp.pValue)}</td>
                    {t.primary && (
                      <td data-significant={cmp.significant ? 'yes' : 'no'}>
                        {cmp.significant ? (
                          <span className={`pill ${v === 'better' ? 'ok' : 'off'}`}>{v === 'better' ? '✓ Significant: better' : '✗ Significant: worse'}</span>
                        ) : (
                          <span className="pill muted">Not significant</span>
                        )}
                      </td>
                    )}
                  </>
                ) : (
                  <td colSpan={cols - 3} className="hint">
                    Not comparable yet (a side has no value).
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {lowerIsBetter(t.metric) && <p className="hint">Lower is better for this metric.</p>}
    </div>
  );
}
