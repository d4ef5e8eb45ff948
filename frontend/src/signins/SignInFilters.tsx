// The filter bar: choices apply at once, typed text when the form is submitted (Enter or
// "Apply"), so the URL and the query change once per search rather than per keystroke.
import { useState, type FormEvent } from "react";
import { RANGES, type RangeKey, type SignInFilterValues } from "./filters";

interface Props {
  values: SignInFilterValues;
  showCountry: boolean;
  onChange(patch: Partial<SignInFilterValues>): void;
}

export function SignInFilters(props: Props) {
  // Remount when the URL changes from elsewhere (a chart click, back/forward) to pick it up.
  const { values } = props;
  const key = [values.user, values.app, values.ip, values.country, values.from, values.to].join("\u0000");
  return <FilterForm key={key} {...props} />;
}

function FilterForm({ values, showCountry, onChange }: Props) {
  const [text, setText] = useState({
    user: values.user,
    app: values.app,
    ip: values.ip,
    country: values.country,
    from: values.from,
    to: values.to,
  });
  const bind = (name: keyof typeof text) => ({
    value: text[name],
    onChange: (e: { target: { value: string } }) => setText((t) => ({ ...t, [name]: e.target.value })),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    onChange(showCountry ? text : { ...text, country: "" });
  }
  const statusChoices = ["", "success", "failure"];
  const active = [values.user, values.app, values.ip, values.country, values.status].some(Boolean) || values.range !== "24h";

  return (
    <form className="toolbar signin-filters" role="search" aria-label="Filter sign-ins" onSubmit={submit}>
      <label>
        Time range
        <select value={values.range} onChange={(e) => onChange({ range: e.target.value as RangeKey })}>
          {Object.entries(RANGES).map(([k, r]) => (
            <option key={k} value={k}>
              {r.label}
            </option>
          ))}
          <option value="custom">Custom…</option>
        </select>
      </label>
      {values.range === "custom" && (
        <>
          <label>
            From
            <input type="datetime-local" {...bind("from")} />
          </label>
          <label>
            To
            <input type="datetime-local" {...bind("to")} />
          </label>
        </>
      )}
      <label>
        Status
        <select value={values.status} onChange={(e) => onChange({ status: e.target.value })}>
          {!statusChoices.includes(values.status) && <option value={values.status}>Failed with {values.status.split(":")[1]}</option>}
          <option value="">Any</option>
          <option value="success">Succeeded</option>
          <option value="failure">Failed</option>
        </select>
      </label>
      <label>
        User
        <input type="search" placeholder="user@contoso.com" {...bind("user")} />
      </label>
      <label>
        Application
        <input type="search" placeholder="Microsoft Teams" {...bind("app")} />
      </label>
      <label>
        IP address
        <input type="search" inputMode="decimal" {...bind("ip")} />
      </label>
      {showCountry && (
        <label>
          Country
          <input type="search" placeholder="GB" maxLength={64} {...bind("country")} />
        </label>
      )}
      <button type="submit" className="primary">
        Apply
      </button>
      {active && (
        <button
          type="button"
          onClick={() => onChange({ range: "24h", from: "", to: "", user: "", app: "", status: "", ip: "", country: "" })}
        >
          Clear filters
        </button>
      )}
    </form>
  );
}
