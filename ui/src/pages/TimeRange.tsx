import { fromLocalInput, RANGES, resolveTime, toLocalInput } from '../time';

/** Relative ranges, or absolute from/to in the browser's zone (sent as ISO, i.e. UTC). */
export function TimeRange({
  from,
  to,
  onChange,
}: {
  from: string;
  to: string;
  onChange: (r: { from: string; to: string }) => void;
}) {
  const relative = to === 'now' && RANGES.some(([v]) => v === from);
  const f = resolveTime(from) ?? Date.now() - 3_600_000;
  const t = resolveTime(to) ?? Date.now();
  return (
    <span className="range">
      <select
        aria-label="time range"
        value={relative ? from : 'custom'}
        onChange={(e) =>
          e.target.value === 'custom'
            ? onChange({ from: new Date(f).toISOString(), to: new Date(t).toISOString() })
            : onChange({ from: e.target.value, to: 'now' })
        }
      >
        {RANGES.map(([v, label]) => (
          <option key={v} value={v}>
            {label}
          </option>
        ))}
        <option value="custom">absolute…</option>
      </select>
      {!relative && (
        <>
          <input
            type="datetime-local"
            aria-label="from"
            value={toLocalInput(f)}
            onChange={(e) => e.target.value && onChange({ from: fromLocalInput(e.target.value), to })}
          />
          <input
            type="datetime-local"
            aria-label="to"
            value={toLocalInput(t)}
            onChange={(e) => e.target.value && onChange({ from, to: fromLocalInput(e.target.value) })}
          />
        </>
      )}
    </span>
  );
}
