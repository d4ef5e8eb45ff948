// What differs between two settings documents, as JSON Pointer paths with both values.
export interface Change {
  path: string;
  before: string | undefined;
  after: string | undefined;
}

function flatten(value: unknown, prefix: string, out: Map<string, string>) {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) out.set(prefix || "/", JSON.stringify(value));
    for (const [key, child] of entries) flatten(child, `${prefix}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`, out);
  } else if (value !== undefined) {
    out.set(prefix || "/", JSON.stringify(value));
  }
}

export function diffDocuments(before: unknown, after: unknown): Change[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before, "", a);
  flatten(after, "", b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths.filter((p) => a.get(p) !== b.get(p)).map((path) => ({ path, before: a.get(path), after: b.get(path) }));
}
