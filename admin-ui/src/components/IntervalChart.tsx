import { useId } from 'react';
import { formatTick } from '../lib/chart';
import { intervalChartLayout, type IntervalPoint } from '../lib/experiments';
import { CHART_COLORS } from './LineChart';

/**
 * A small inline-SVG point-and-whiskers chart: one value per category with its 95 % interval,
 * and a dashed reference line at the first category's value (the control). The same numbers
 * are in the SVG's description for screen readers (and in the results tables).
 */
export function IntervalChart({
  title,
  points,
  yLabel,
  xLabel,
  formatValue,
  formatAxis = formatTick,
}: {
  title: string;
  points: readonly IntervalPoint[];
  yLabel: string;
  xLabel: string;
  formatValue: (v: number | null) => string;
  formatAxis?: (v: number) => string;
}) {
  const id = useId();
  const layout = intervalChartLayout({ points });
  const { plot } = layout;
  const describe = (p: IntervalPoint) =>
    p.value == null ? `${p.label}: no value yet` : `${p.label}: ${formatValue(p.value)} (95 % interval ${formatValue(p.low)} to ${formatValue(p.high)})`;
  return (
    <figure className="chart interval-chart">
      <svg viewBox={`0 0 ${layout.width} ${layout.height}`} role="img" aria-labelledby={`${id}-t ${id}-d`} preserveAspectRatio="xMidYMid meet">
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{points.map(describe).join('; ')}</desc>
        <g className="grid">
          {layout.yTicks.map((t) => (
            <g key={t.value}>
              <line x1={plot.left} x2={plot.right} y1={t.y} y2={t.y} />
              <text x={plot.left - 6} y={t.y} textAnchor="end" dominantBaseline="middle">
                {formatAxis(t.value)}
              </text>
            </g>
          ))}
        </g>
        <line className="axis" x1={plot.left} x2={plot.right} y1={plot.bottom} y2={plot.bottom} />
        <line className="axis" x1={plot.left} x2={plot.left} y1={plot.top} y2={plot.bottom} />
        {layout.reference !== null && (
          <line className="reference" x1={plot.left} x2={plot.right} y1={layout.reference} y2={layout.reference} strokeDasharray="4 4" />
        )}
        {layout.items.map((it, i) => {
          const color = CHART_COLORS[i % CHART_COLORS.length];
          const p = points[i]!;
          return (
            <g key={it.label} data-variant={it.label}>
              {it.yLow !== null && it.yHigh !== null && (
                <g stroke={color} strokeWidth={2}>
                  <line x1={it.x} x2={it.x} y1={it.yLow} y2={it.yHigh} />
                  <line x1={it.x - 8} x2={it.x + 8} y1={it.yLow} y2={it.yLow} />
                  <line x1={it.x - 8} x2={it.x + 8} y1={it.yHigh} y2={it.yHigh} />
                </g>
              )}
              {it.y !== null && (
                <circle cx={it.x} cy={it.y} r={5} fill={color}>
                  <title>{describe(p)}</title>
                </circle>
              )}
              <text x={it.x} y={plot.bottom + 16} textAnchor="middle">
                {it.label}
              </text>
            </g>
          );
        })}
        <text className="axis-label" x={(plot.left + plot.right) / 2} y={layout.height - 4} textAnchor="middle">
          {xLabel}
        </text>
        <text className="axis-label" transform={`translate(14 ${(plot.top + plot.bottom) / 2}) rotate(-90)`} textAnchor="middle">
          {yLabel}
        </text>
      </svg>
      <figcaption className="hint">Points are each variant’s value, whiskers its 95 % interval; the dashed line is the control’s value.</figcaption>
    </figure>
  );
}
