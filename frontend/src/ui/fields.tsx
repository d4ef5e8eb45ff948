// Small labelled inputs bound to a settings path, each showing the API's errors for it.
import type { ReactNode } from "react";
import { FieldErrors, fieldId, useFieldProps } from "./fieldErrors";

interface Base {
  path: string;
  label: ReactNode;
  hint?: ReactNode;
}

function Hint({ path, hint }: { path: string; hint?: ReactNode }) {
  return hint ? (
    <span className="muted" id={`${fieldId(path)}-hint`}>
      {hint}
    </span>
  ) : null;
}

/** A whole number; an emptied box is sent as null so the API says what it expects. */
export function NumberField({ path, label, hint, value, onChange, min, max, unit }: Base & {
  value: number | null;
  onChange(value: number | null): void;
  min?: number;
  max?: number;
  unit?: string;
}) {
  const props = useFieldProps(path);
  return (
    <label>
      {label}
      <span className="input-unit">
        <input
          {...props}
          type="number"
          inputMode="numeric"
          min={min}
          max={max}
          value={value ?? ""}
          onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))}
        />
        {unit && <span className="muted">{unit}</span>}
      </span>
      <Hint path={path} hint={hint} />
      <FieldErrors path={path} />
    </label>
  );
}

export function TextField({ path, label, hint, value, onChange, type = "text", placeholder, autoComplete }: Base & {
  value: string;
  onChange(value: string): void;
  type?: string;
  placeholder?: string;
  autoComplete?: string;
}) {
  const props = useFieldProps(path);
  return (
    <label>
      {label}
      <input {...props} type={type} value={value} placeholder={placeholder} autoComplete={autoComplete} onChange={(e) => onChange(e.target.value)} />
      <Hint path={path} hint={hint} />
      <FieldErrors path={path} />
    </label>
  );
}

export function SelectField<T extends string>({ path, label, hint, value, onChange, options }: Base & {
  value: T;
  onChange(value: T): void;
  options: { value: T; label: string }[];
}) {
  const props = useFieldProps(path);
  return (
    <label>
      {label}
      <select {...props} value={value} onChange={(e) => onChange(e.target.value as T)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <Hint path={path} hint={hint} />
      <FieldErrors path={path} />
    </label>
  );
}

export function CheckField({ path, label, checked, onChange }: Base & { checked: boolean; onChange(checked: boolean): void }) {
  const props = useFieldProps(path);
  return (
    <>
      <label className="checkbox">
        <input {...props} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
      <FieldErrors path={path} />
    </>
  );
}
