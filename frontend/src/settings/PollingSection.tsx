// How often each source is polled, whether at all, and how long collected data is kept.
import { CheckField, NumberField } from "../ui/fields";
import { POLLED_SOURCES, SOURCE_LABELS, type Draft } from "./model";

type Polling = Draft["polling_settings"];

const LIMITS = { entra: 1440, intune: 1440, arm: 1440, signins: 60 } as const;

export function PollingSection({ value, onChange }: { value: Polling; onChange(value: Polling): void }) {
  const base = "polling_settings";
  return (
    <section className="card form-section" aria-labelledby="sec-polling">
      <h2 id="sec-polling">Polling</h2>
      <CheckField
        path={`${base}.enabled`}
        label="Poll this tenant"
        checked={value.enabled}
        onChange={(enabled) => onChange({ ...value, enabled })}
      />
      <div className="form-grid">
        {POLLED_SOURCES.map((source) => {
          const disabled = value.disabled_sources.includes(source);
          return (
            <div key={source}>
              <NumberField
                path={`${base}.intervals.${source}`}
                label={`${SOURCE_LABELS[source]} every`}
                unit="minutes"
                min={1}
                max={LIMITS[source]}
                hint={`1 to ${LIMITS[source]}`}
                value={value.intervals[source]}
                onChange={(n) => onChange({ ...value, intervals: { ...value.intervals, [source]: n as number } })}
              />
              <CheckField
                path={`${base}.disabled_sources.${source}`}
                label={`Poll ${SOURCE_LABELS[source]}`}
                checked={!disabled}
                onChange={(on) =>
                  onChange({
                    ...value,
                    disabled_sources: on ? value.disabled_sources.filter((s) => s !== source) : [...value.disabled_sources, source],
                  })
                }
              />
            </div>
          );
        })}
        <NumberField
          path={`${base}.jitter_percent`}
          label="Random spread"
          unit="%"
          min={0}
          max={50}
          hint="0 to 50 %, so tenants do not poll in lock-step"
          value={value.jitter_percent}
          onChange={(jitter_percent) => onChange({ ...value, jitter_percent: jitter_percent as number })}
        />
      </div>
      <h3 id="sec-retention">Retention</h3>
      <div className="form-grid">
        <NumberField
          path={`${base}.retention.history_days`}
          label="Keep configuration history for"
          unit="days"
          min={1}
          max={3650}
          hint="1 to 3650"
          value={value.retention.history_days}
          onChange={(history_days) => onChange({ ...value, retention: { ...value.retention, history_days: history_days as number } })}
        />
        <NumberField
          path={`${base}.retention.signin_days`}
          label="Keep sign-in logs for"
          unit="days"
          min={1}
          max={3650}
          hint="1 to 3650"
          value={value.retention.signin_days}
          onChange={(signin_days) => onChange({ ...value, retention: { ...value.retention, signin_days: signin_days as number } })}
        />
      </div>
    </section>
  );
}
