// Editorial performance on the curation screens: the period picker, a rate with its 95 %
// interval (and a small whisker on a scale shared by its column), and the figures table.
import { useCallback, useId, useState, type ReactNode } from 'react';
import { useSession } from '../lib/api';
import {
  byImpressions,
  DEFAULT_PERIOD_DAYS,
  describeRate,
  formatRate,
  formatRateInterval,
  periodLabel,
  periodRange,
  PERIOD_PRESETS,
  rateScaleMax,
  type JoinedPerformance,
  type RateEstimate,
  type RateField,
} from '../lib/performance';
import { can } from '../lib/roles';
import { hasFields } from '../lib/schema';
import { ErrorMessage } from './ErrorMessage';
import { formatDate, formatNumber } from './format';
import { TableWrap } from './TableWrap';

/** Editors and admins see performance figures, when the API has the field. */
export function usePerformanceAccess(field: 'collectionPerformance' | 'placementPerformance'): boolean {
  const { session } = useSession();
  return can(session?.role, 'curation') && hasFields({ query: [field] });
}

export interface PerformancePeriod {
  days: number;
  from: string;
  to: string;
  setDays: (days: number) => void;
}

/** The chosen period (default the last 7 days), fixed when chosen so re-renders ask nothing new. */
export function usePerformancePeriod(): PerformancePeriod {
  const [state, setState] = useState(() => ({ days: DEFAULT_PERIOD_DAYS, ...periodRange(DEFAULT_PERIOD_DAYS) }));
  const setDays = useCallback((days: number) => setState({ days, ...periodRange(days) }), []);
  return { ...state, setDays };
}

/** The period's presets; `inline` puts the label beside the select (in a title row). */
export function PeriodSelect({ period, inline = false }: { period: PerformancePeriod; inline?: boolean }) {
  const id = useId();
  const label = 'Performance period';
  return (
    <div className={inline ? 'field inline-field' : 'field'}>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={period.days} onChange={(e) => period.setDays(Number(e.target.value))}>
        {PERIOD_PRESETS.map((p) => (
          <option key={p.days} value={p.days}>
            {p.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * A rate ("12.34 %") over its 95 % interval ("10.00 % – 14.68 %"); with `scaleMax`, a whisker
 * from 0 to `scaleMax` between them, so a column's rows compare at a glance. "—" without one.
 */
export function RateWithInterval({ field, rate, scaleMax }: { field: RateField; rate: RateEstimate | null | undefined; scaleMax?: number }) {
  if (!rate || !Number.isFinite(rate.value)) return <span className="rate none">—</span>;
  const x = (v: number) => (scaleMax && scaleMax > 0 ? Math.max(0, Math.min(100, (v / scaleMax) * 100)) : 0);
  return (
    <span className="rate" title={describeRate(field, rate)}>
      <span className="rate-value">{formatRate(field, rate)}</span>
      {scaleMax !== undefined && (
        <svg className="rate-whisker" viewBox="-4 0 108 12" width="108" height="12" aria-hidden="true" focusable="false">
          <line className="track" x1={0} x2={100} y1={6} y2={6} />
          <line className="range" x1={x(rate.low)} x2={x(rate.high)} y1={6} y2={6} />
          <line className="range" x1={x(rate.low)} x2={x(rate.low)} y1={2} y2={10} />
          <line className="range" x1={x(rate.high)} x2={x(rate.high)} y1={2} y2={10} />
          <circle cx={x(rate.value)} cy={6} r={3} />
        </svg>
      )}
      <span className="rate-interval">
        <span className="visually-hidden">95 % interval </span>
        {formatRateInterval(field, rate)}
      </span>
    </span>
  );
}

/**
 * The figures of the items a screen lists, most impressions first; items without figures
 * last, with "—" (nothing of theirs was served in the period).
 */
export function PerformanceTable<T>({
  title,
  itemHeader,
  rows,
  itemKey,
  renderItem,
  period,
  loading,
  error,
  onRetry,
  unlisted = 0,
  unlistedText,
  emptyText,
}: {
  title: string;
  itemHeader: string;
  rows: ReadonlyArray<JoinedPerformance<T>>;
  itemKey: (item: T) => string;
  renderItem: (item: T) => ReactNode;
  period: Pick<PerformancePeriod, 'days' | 'from' | 'to'>;
  loading: boolean;
  error?: unknown;
  onRetry?: () => void;
  /** Rows for items not listed here (another page or surface, deleted). */
  unlisted?: number;
  unlistedText?: (n: number) => string;
  emptyText: string;
}) {
  const id = useId();
  const sorted = byImpressions(rows);
  const ctrMax = rateScaleMax(rows.map((r) => r.performance?.clickThrough));
  const completionMax = rateScaleMax(rows.map((r) => r.performance?.completionRate));
  const waiting = loading && rows.every((r) => r.performance === null);
  const count = (n: number | undefined) => (n !== undefined ? formatNumber(n) : waiting ? '…' : '—');
  return (
    <div className="performance" data-performance={title}>
      <h3 id={`${id}-title`}>
        {title} <span className="hint">· {periodLabel(period.days)}</span>
      </h3>
      <ErrorMessage error={error} onRetry={onRetry} />
      <TableWrap label={title} busy={loading}>
        <table className="data performance-table" aria-labelledby={`${id}-title`} aria-describedby={`${id}-note`}>
          <thead>
            <tr>
              <th scope="col">{itemHeader}</th>
              <th scope="col" className="num">
                Impressions
              </th>
              <th scope="col" className="num">
                Users
              </th>
              <th scope="col" className="num">
                Clicks
              </th>
              <th scope="col">Click-through rate</th>
              <th scope="col">Completion rate</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map(({ item, performance: p }) => (
              <tr key={itemKey(item)} data-performance-id={itemKey(item)} className={p ? undefined : 'no-data'}>
                <th scope="row">{renderItem(item)}</th>
                <td className="num">{count(p?.impressions)}</td>
                <td className="num">{count(p?.users)}</td>
                <td className="num">{count(p?.clicks)}</td>
                <td>{p ? <RateWithInterval field="clickThrough" rate={p.clickThrough} scaleMax={ctrMax} /> : count(undefined)}</td>
                <td>{p ? <RateWithInterval field="completionRate" rate={p.completionRate} scaleMax={completionMax} /> : count(undefined)}</td>
              </tr>
            ))}
            {rows.length === 0 && (
              <tr>
                <td colSpan={6}>{loading ? 'Loading…' : emptyText}</td>
              </tr>
            )}
          </tbody>
        </table>
      </TableWrap>
      <p id={`${id}-note`} className="hint">
        {formatDate(period.from)} – {formatDate(period.to)}. Impressions count every time an item was served, users the distinct users shown
        one; clicks and completions count each user and movie once, within 24 hours of being shown. Rates are per user and movie shown, with
        their 95 % interval; “—”: nothing was served in the period.
        {unlisted > 0 && unlistedText ? ` ${unlistedText(unlisted)}` : ''}
      </p>
    </div>
  );
}
