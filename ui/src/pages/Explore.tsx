import { useMemo, useState } from 'react';
import { api, type QueryResult, unwrap } from '../api/client';
import { Chart, type ChartOption } from '../charts/Chart';
import { Empty, ErrorBox, Progress, useAsync } from '../components';
import { FilterEditor } from '../editor/FilterEditor';
import { resolveTime } from '../time';
import { local, si, useUrlState, utc } from '../util';
import { DIMENSIONS, type Dimension, EXT_DIMENSION, pivotSeries, sankey, seriesTable } from './explore-data';
import { TimeRange } from './TimeRange';

const DEFAULTS = {
  filter: '',
  from: '-1h',
  to: 'now',
  by: 'dst_port',
  metric: 'bytes',
  chart: 'area',
  previous: '',
  limit: '10',
};
const SAVED_KEY = 'flowlens.savedFilters';

type Metric = 'bytes' | 'packets' | 'flows';

function savedFilters(): string[] {
  try {
    return JSON.parse(localStorage.getItem(SAVED_KEY) ?? '[]') as string[];
  } catch {
    return [];
  }
}

export default function Explore() {
  const [s, set] = useUrlState(DEFAULTS);
  const [saved, setSaved] = useState(savedFilters);
  // The picker whose extended-field key is being typed (null: none).
  const [extAt, setExtAt] = useState<number | null>(null);
  const by = useMemo(() => s.by.split(',').filter(Boolean) as Dimension[], [s.by]);
  const metric = s.metric as Metric;
  const filter = s.filter.trim() || undefined;
  const data = useAsync(async () => {
    if (s.chart === 'sankey') {
      const dims = by.length >= 2 ? by : (['src_ip', 'dst_port', 'dst_ip'] as Dimension[]);
      const r = await api
        .POST('/api/v1/top', { body: { from: s.from, to: s.to, by: dims, metric, limit: 50, filter } })
        .then(unwrap);
      return { kind: 'sankey' as const, dims, result: r as QueryResult };
    }
    const body = { from: s.from, to: s.to, by, metric, limit: Number(s.limit) || 10, filter };
    const r = (await api.POST('/api/v1/series', { body }).then(unwrap)) as QueryResult;
    let previous: QueryResult | null = null;
    const f = resolveTime(s.from);
    const t = resolveTime(s.to);
    if (s.previous && f !== null && t !== null) {
      const pb = { ...body, by: [], from: f - (t - f), to: f };
      previous = (await api.POST('/api/v1/series', { body: pb }).then(unwrap)) as QueryResult;
    }
    return { kind: 'series' as const, result: r, previous, shift: f !== null && t !== null ? t - f : 0 };
  }, [s.from, s.to, s.by, s.metric, s.chart, s.previous, s.limit, s.filter]);

  const view = useMemo(() => {
    const d = data.data;
    if (!d) return null;
    if (d.kind === 'sankey') {
      const g = sankey(d.result.rows, d.dims, metric);
      const option: ChartOption = {
        tooltip: {},
        series: [{ type: 'sankey', data: g.nodes, links: g.links, emphasis: { focus: 'adjacency' } }],
      };
      return { option, table: [], empty: g.links.length === 0 };
    }
    const p = pivotSeries(d.result.rows, by, metric);
    const percent = s.chart === 'percent';
    const stacked = s.chart !== 'lines';
    const shares = (values: number[]) => values.map((v, i) => (p.total[i] ? (100 * v) / p.total[i] : 0));
    const series: object[] = p.series.map((x) => ({
      name: x.name,
      type: 'line',
      stack: stacked ? 'all' : undefined,
      areaStyle: stacked ? {} : undefined,
      showSymbol: false,
      data: p.times.map((t, i) => [t, percent ? shares(x.values)[i] : x.values[i]]),
    }));
    if (d.previous && !percent) {
      const prev = pivotSeries(d.previous.rows, [], metric);
      series.push({
        name: 'previous period',
        type: 'line',
        showSymbol: false,
        lineStyle: { type: 'dashed' },
        data: prev.times.map((t, i) => [t + d.shift, prev.total[i]]),
      });
    }
    const option: ChartOption = {
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v: unknown) => (percent ? `${Number(v).toFixed(1)} %` : si(Number(v))),
      },
      legend: { type: 'scroll', bottom: 0 },
      grid: { left: 60, right: 20, top: 20, bottom: 50 },
      xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
      yAxis: {
        type: 'value',
        max: percent ? 100 : undefined,
        axisLabel: { formatter: (v: number) => si(v) },
      },
      series,
    };
    return { option, table: seriesTable(p), empty: p.total.every((v) => v === 0) };
  }, [data.data, by, metric, s.chart]);

  const setDim = (i: number, d: string) => {
    const next: string[] = [...by];
    if (d) next[i] = d;
    else next.splice(i);
    set({ by: [...new Set(next.filter(Boolean))].join(',') });
  };
  const dimPicker = (i: number) => (
    <span key={i}>
      <select
        aria-label={`dimension ${i + 1}`}
        value={by[i]?.startsWith('ext.') ? 'ext' : (by[i] ?? '')}
        onChange={(e) => (e.target.value === 'ext' ? setExtAt(i) : setDim(i, e.target.value))}
      >
        <option value="">{i === 0 ? '(total only)' : '(none)'}</option>
        {DIMENSIONS.map((d) => (
          <option key={d} value={d}>
            {d}
          </option>
        ))}
        <option value="ext">extended field…</option>
      </select>
      {(extAt === i || by[i]?.startsWith('ext.')) && (
        <input
          key={by[i] ?? 'new'}
          aria-label={`extended field ${i + 1}`}
          placeholder="ext.applicationName"
          defaultValue={by[i]?.startsWith('ext.') ? by[i] : 'ext.'}
          title="a key of extended_fields (raw flows only), e.g. ext.applicationName; Enter to apply"
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            const v = e.currentTarget.value.trim();
            e.currentTarget.setCustomValidity(
              EXT_DIMENSION.test(v) ? '' : 'ext. and a key: letters, digits, _ and -',
            );
            if (!e.currentTarget.reportValidity()) return;
            setExtAt(null);
            setDim(i, v);
          }}
        />
      )}
    </span>
  );

  return (
    <div data-page="explore">
      <div className="controls">
        <FilterEditor value={s.filter} onSubmit={(filter) => filter !== s.filter && set({ filter })} />
        <select
          aria-label="saved filters"
          value=""
          onChange={(e) => e.target.value && set({ filter: e.target.value })}
        >
          <option value="">saved filters…</option>
          {saved.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
        <button
          type="button"
          disabled={!s.filter}
          onClick={() => {
            const next = [s.filter, ...saved.filter((x) => x !== s.filter)].slice(0, 20);
            localStorage.setItem(SAVED_KEY, JSON.stringify(next));
            setSaved(next);
          }}
        >
          Save filter
        </button>
      </div>
      <div className="controls">
        <TimeRange from={s.from} to={s.to} onChange={set} />
        by {dimPicker(0)} {by.length > 0 && dimPicker(1)} {by.length > 1 && dimPicker(2)}
        <select aria-label="metric" value={s.metric} onChange={(e) => set({ metric: e.target.value })}>
          <option value="bytes">bytes</option>
          <option value="packets">packets</option>
          <option value="flows">flows</option>
        </select>
        <select aria-label="chart" value={s.chart} onChange={(e) => set({ chart: e.target.value })}>
          <option value="area">stacked area</option>
          <option value="lines">lines</option>
          <option value="percent">100 % stacked</option>
          <option value="sankey">Sankey</option>
        </select>
        <label>
          <input
            type="checkbox"
            checked={!!s.previous}
            onChange={(e) => set({ previous: e.target.checked ? '1' : '' })}
          />{' '}
          previous period
        </label>
        {data.loading && <Progress what="Querying (series and table)" />}
      </div>
      {data.error ? <ErrorBox error={data.error} /> : null}
      {view?.empty && (
        <Empty>
          Nothing matches in this range. Widen the time range, loosen the filter, or point your routers at UDP
          2055.
        </Empty>
      )}
      {view && <Chart option={view.option} testId="explore-chart" />}
      {view && view.table.length > 0 && (
        <table data-testid="explore-table">
          <thead>
            <tr>
              <th>{by.join(' ') || 'series'}</th>
              <th className="num">total</th>
              <th className="num">avg / step</th>
              <th className="num">p95</th>
              <th className="num">last</th>
            </tr>
          </thead>
          <tbody>
            {view.table.map((r) => (
              <tr key={r.name}>
                <td>{r.name}</td>
                <td className="num">{si(r.total)}</td>
                <td className="num">{si(r.avg)}</td>
                <td className="num">{si(r.p95)}</td>
                <td className="num">{si(r.last)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data.data?.kind === 'series' && data.data.result.rows.length > 0 && (
        <p title={utc(Number(data.data.result.rows[0].t))}>
          from {local(Number(data.data.result.rows[0].t))}, tier {String(data.data.result.tier)}
        </p>
      )}
    </div>
  );
}
