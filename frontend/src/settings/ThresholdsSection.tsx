// What counts as drift (ignored paths) and how much it matters (severity rules, in order).
import { FieldErrors } from "../ui/fieldErrors";
import { SelectField, TextField } from "../ui/fields";
import { CHANGE_TYPES, newKey, SEVERITIES, SOURCES, type ChangeType, type Draft, type Severity, type Source } from "./model";

type Thresholds = Draft["drift_thresholds"];

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
const severityOptions = SEVERITIES.map((s) => ({ value: s, label: cap(s) }));
const sourceOptions: { value: Source | ""; label: string }[] = [
  { value: "", label: "Any source" },
  ...SOURCES.map((s) => ({ value: s, label: s === "arm" ? "Azure resources" : s === "entra" ? "Entra ID" : "Intune" })),
];

export function ThresholdsSection({ value, onChange, canWrite }: { value: Thresholds; onChange(value: Thresholds): void; canWrite: boolean }) {
  const base = "drift_thresholds";
  const setIgnore = (i: number, patch: Partial<Thresholds["ignore_paths"][number]>) =>
    onChange({ ...value, ignore_paths: value.ignore_paths.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const setRule = (i: number, patch: Partial<Thresholds["severity_rules"][number]>) =>
    onChange({ ...value, severity_rules: value.severity_rules.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const move = (i: number, by: number) => {
    const rules = [...value.severity_rules];
    const [rule] = rules.splice(i, 1);
    rules.splice(i + by, 0, rule!);
    onChange({ ...value, severity_rules: rules });
  };

  return (
    <section className="card form-section" aria-labelledby="sec-thresholds">
      <h2 id="sec-thresholds">Drift thresholds</h2>
      <div className="form-grid">
        <SelectField
          path={`${base}.default_severity`}
          label="Severity when no rule matches"
          value={value.default_severity}
          options={severityOptions}
          onChange={(default_severity) => onChange({ ...value, default_severity })}
        />
      </div>

      <h3>Ignored paths</h3>
      <p className="muted">
        Changes at these JSON Pointer paths are not drift, e.g. <code>/properties/provisioningState</code>. Use <code>*</code> for
        any member or every array element.
      </p>
      <FieldErrors path={`${base}.ignore_paths`} />
      {value.ignore_paths.map((rule, i) => {
        const path = `${base}.ignore_paths[${i}]`;
        return (
          <div className="rule" key={rule.key} role="group" aria-label={`Ignored path ${i + 1}`}>
            <TextField path={`${path}.path`} label="Path" placeholder="/properties/provisioningState" value={rule.path} onChange={(p) => setIgnore(i, { path: p })} />
            <TextField
              path={`${path}.resource_type`}
              label="Resource type"
              placeholder="All types"
              value={rule.resource_type ?? ""}
              onChange={(resource_type) => setIgnore(i, { resource_type })}
            />
            <SelectField<Source | "">
              path={`${path}.source`}
              label="Source"
              value={rule.source ?? ""}
              options={sourceOptions}
              onChange={(s) => setIgnore(i, { source: s === "" ? null : s })}
            />
            <TextField path={`${path}.reason`} label="Reason" value={rule.reason ?? ""} onChange={(reason) => setIgnore(i, { reason })} />
            <FieldErrors path={path} />
            {canWrite && (
              <div className="row-actions">
                <button type="button" className="danger" onClick={() => onChange({ ...value, ignore_paths: value.ignore_paths.filter((_, j) => j !== i) })}>
                  Remove
                </button>
              </div>
            )}
          </div>
        );
      })}
      {canWrite && (
        <button type="button" onClick={() => onChange({ ...value, ignore_paths: [...value.ignore_paths, { key: newKey(), path: "" }] })}>
          Add ignored path
        </button>
      )}

      <h3>Severity rules</h3>
      <p className="muted">Tried in order: the first rule that matches a change rates it; without a match the built-in defaults apply.</p>
      <FieldErrors path={`${base}.severity_rules`} />
      {value.severity_rules.map((rule, i) => {
        const path = `${base}.severity_rules[${i}]`;
        return (
          <div className="rule" key={rule.key} role="group" aria-label={`Severity rule ${i + 1}`}>
            <SelectField path={`${path}.severity`} label="Severity" value={rule.severity} options={severityOptions} onChange={(severity: Severity) => setRule(i, { severity })} />
            <SelectField<Source | "">
              path={`${path}.source`}
              label="Source"
              value={rule.source ?? ""}
              options={sourceOptions}
              onChange={(s) => setRule(i, { source: s === "" ? null : s })}
            />
            <TextField
              path={`${path}.resource_type`}
              label="Resource type"
              placeholder="All types"
              value={rule.resource_type ?? ""}
              onChange={(resource_type) => setRule(i, { resource_type })}
            />
            <SelectField<ChangeType | "">
              path={`${path}.change_type`}
              label="Change"
              value={rule.change_type ?? ""}
              options={[{ value: "", label: "Any change" }, ...CHANGE_TYPES.map((c) => ({ value: c, label: cap(c) }))]}
              onChange={(c) => setRule(i, { change_type: c === "" ? null : c })}
            />
            <TextField
              path={`${path}.path_prefix`}
              label="Path prefix"
              placeholder="/conditions/users"
              value={rule.path_prefix ?? ""}
              onChange={(path_prefix) => setRule(i, { path_prefix })}
            />
            <FieldErrors path={path} />
            {canWrite && (
              <div className="row-actions">
                <button type="button" aria-label={`Move rule ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                  ↑
                </button>
                <button
                  type="button"
                  aria-label={`Move rule ${i + 1} down`}
                  disabled={i === value.severity_rules.length - 1}
                  onClick={() => move(i, 1)}
                >
                  ↓
                </button>
                <button type="button" className="danger" onClick={() => onChange({ ...value, severity_rules: value.severity_rules.filter((_, j) => j !== i) })}>
                  Remove
                </button>
              </div>
            )}
          </div>
        );
      })}
      {canWrite && (
        <button
          type="button"
          onClick={() => onChange({ ...value, severity_rules: [...value.severity_rules, { key: newKey(), severity: "high" }] })}
        >
          Add severity rule
        </button>
      )}
    </section>
  );
}
