import { useId } from 'react';
import { formatTick, lineChartLayout, type Series } from '../lib/chart';

export const CHART_COLORS = ['#3b2fc9', '#d9480f', '#2b8a3e', '#c2255c', '#1971c2', '#e67700', '#5f3dc4', '#0b7285'];

/** A small inline-SVG line chart with axes, axis labels and a legend. */
export function LineChart({
  title,
  labels,
  series,
  xLabel,
  yLabel,
  zeroBased = true,
  formatValue = (v: number) => v.toLocaleString('en-US'),
}: {
  title: string;
  labels: readonly string[];
  series: readonly Series[];
  xLabel: string;
  yLabel: string;
  zeroBased?: boolean;
  formatValue?: (v: number) => string;
}) {
  const id = useId();
  const layout = lineChartLayout({ labels, series, width: 640, height: 240, zeroBased, margin: { left: 58, top: 12, right: 16, bottom: 44 } });
  const { plot } = layout;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${layout.width} ${layout.height}`} role="img" aria-labelledby={`${id}-t`} preserveAspectRatio="xMidYMid meet">
        <title id={`${id}-t`}>{title}</title>
        <g className="grid">
          {layout.yTicks.map((t) => (
            <g key={t.value}>
              <line x1={plot.left} x2={plot.right} y1={t.y} y2={t.y} />
              <text x={plot.left - 6} y={t.y} textAnchor="end" dominantBaseline="middle">
                {formatTick(t.value)}
              </text>
            </g>
          ))}
        </g>
        <line className="axis" x1={plot.left} x2={plot.right} y1={plot.bottom} y2={plot.bottom} />
        <line className="axis" x1={plot.left} x2={plot.left} y1={plot.top} y2={plot.bottom} />
        <g className="x-ticks">
          {layout.xTicks.map((t) => (
            <text key={t.index} x={t.x} y={plot.bottom + 16} textAnchor="middle">
              {t.label}
            </text>
          ))}
        </g>
        <text className="axis-label" x={(plot.left + plot.right) / 2} y={layout.height - 4} textAnchor="middle">
          {xLabel}
        </text>
        <text className="axis-label" transform={`translate(14 ${(plot.top + plot.bottom) / 2}) rotate(-90)`} textAnchor="middle">
          {yLabel}
        </text>
        {layout.bands.map((b) => {
          const i = series.findIndex((s) => s.key === b.key);
          return <path key={`band-${b.key}`} className="band" data-band={b.key} d={b.d} fill={CHART_COLORS[i % CHART_COLORS.length]} fillOpacity={0.15} stroke="none" />;
        })}
        {layout.lines.map((l, i) => (
          <g key={l.key} data-series={l.key}>
            <path d={l.d} fill="none" stroke={CHART_COLORS[i % CHART_COLORS.length]} strokeWidth={2} strokeLinejoin="round" />
            {l.points.map((p) => (
              <circle key={p.index} cx={p.x} cy={p.y} r={l.points.length > 40 ? 1.5 : 3} fill={CHART_COLORS[i % CHART_COLORS.length]}>
                <title>{`${series[i]?.label}: ${formatValue(p.value)} (${labels[p.index]})`}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <ul className="legend" aria-label={`${title}: legend`}>
        {series.map((s, i) => (
          <li key={s.key}>
            <span className="swatch" style={{ background: CHART_COLORS[i % CHART_COLORS.length] }} aria-hidden="true" />
            {s.label}
          </li>
        ))}
      </ul>
    </figure>
  );
}
