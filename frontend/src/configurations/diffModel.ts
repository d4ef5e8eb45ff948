// The side-by-side diff of two JSON documents, as plain data: both documents pretty-printed
// (two-space indentation, like `JSON.stringify(v, null, 2)`) and aligned line by line, each row
// knowing the JSON Pointer it belongs to, whether it is unchanged, added, removed or changed,
// and whether it is a volatile field (one that moves on every save).
//
// Alignment is structural, not textual: objects are matched key by key (keys only on one side
// are added or removed where they stand), arrays element by element along their longest common
// subsequence (so an element inserted at the front does not mark the whole array as changed),
// and scalars that differ make one "changed" row. Rows of a value present on one side only face
// an empty cell on the other.
import { child, tokens } from "../ui/jsonPointer";

export type RowKind = "same" | "added" | "removed" | "changed";

export interface Cell {
  /** 1-based line number in that side's pretty-printed document. */
  number: number;
  text: string;
}

export interface DiffRow {
  /** The JSON Pointer of the value (or key) the row shows. */
  path: string;
  kind: RowKind;
  left: Cell | null;
  right: Cell | null;
  volatile: boolean;
}

/**
 * Field names that move without anyone changing the configuration, per the issue:
 * timestamps, versions and entity tags. Used only when the API does not say which paths of a
 * document are volatile (see `volatileRule`; today's `VersionDiff` does not); the drift engine's
 * own list (backend/core/src/drift/builtin.rs) is longer and type-specific.
 */
export const VOLATILE_NAMES: ReadonlySet<string> = new Set([
  "modifiedDateTime",
  "lastModifiedDateTime",
  "createdDateTime",
  "version",
  "etag",
  "@odata.etag",
]);

/**
 * True when a path is, or lies inside, a volatile field: one of `VOLATILE_NAMES`, or an OData
 * annotation (`@odata.context`, `members@odata.nextLink`; not `@odata.type`, which says what the
 * object is), at any depth.
 */
export function isVolatilePath(path: string): boolean {
  return tokens(path).some(
    (token) => VOLATILE_NAMES.has(token) || (token.includes("@odata.") && token !== "@odata.type"),
  );
}

/** True when `path` is `pattern` or lies under it; a `*` segment of the pattern matches any one segment. */
export function matchesPattern(path: string, pattern: string): boolean {
  const want = tokens(pattern);
  const have = tokens(path);
  return have.length >= want.length && want.every((token, i) => token === "*" || token === have[i]);
}

/**
 * The volatile rule for a diff: the API's own list when it sends one (a `volatile_paths` array
 * of JSON Pointer patterns beside `changed_paths`; `VersionDiff` has no such field yet, so this
 * is read defensively), else `isVolatilePath`.
 */
export function volatileRule(diff: object): (path: string) => boolean {
  const fromApi = (diff as { volatile_paths?: unknown }).volatile_paths;
  if (Array.isArray(fromApi) && fromApi.every((p) => typeof p === "string")) {
    const patterns = fromApi as string[];
    return (path) => patterns.some((pattern) => matchesPattern(path, pattern));
  }
  return isVolatilePath;
}

/** Structural equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => k in bo && jsonEqual(ao[k], bo[k]));
}

const MISSING = Symbol("missing");
type Value = unknown | typeof MISSING;

interface Line {
  path: string;
  text: string;
}

const pad = (indent: number) => "  ".repeat(indent);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The pretty-printed lines of one value, each with its path. */
function linesOf(value: unknown, path: string, prefix: string, indent: number, comma: string, out: Line[] = []): Line[] {
  if (Array.isArray(value) || isObject(value)) {
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
    if (entries.length === 0) {
      out.push({ path, text: `${pad(indent)}${prefix}${open}${close}${comma}` });
      return out;
    }
    out.push({ path, text: `${pad(indent)}${prefix}${open}` });
    entries.forEach(([key, item], i) => {
      const itemPrefix = typeof key === "number" ? "" : `${JSON.stringify(key)}: `;
      linesOf(item, child(path, key), itemPrefix, indent + 1, i < entries.length - 1 ? "," : "", out);
    });
    out.push({ path, text: `${pad(indent)}${close}${comma}` });
    return out;
  }
  out.push({ path, text: `${pad(indent)}${prefix}${JSON.stringify(value)}${comma}` });
  return out;
}

/** Pairs of child keys of two objects, in the newer document's order with removed keys where they stood. */
export function mergeKeys(a: string[], b: string[]): [string | null, string | null][] {
  const inA = new Set(a);
  const inB = new Set(b);
  const pairs: [string | null, string | null][] = [];
  const done = new Set<string>();
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ka = a[i];
    const kb = b[j];
    if (ka !== undefined && done.has(ka)) { i++; continue; }
    if (ka !== undefined && !inB.has(ka)) { pairs.push([ka, null]); i++; continue; }
    if (kb === undefined) { i++; continue; }
    if (!inA.has(kb)) { pairs.push([null, kb]); j++; continue; }
    pairs.push([kb, kb]);
    done.add(kb);
    if (ka === kb) i++;
    j++;
  }
  return pairs;
}

const LCS_LIMIT = 250_000;

/**
 * Pairs of indices of two arrays: equal elements matched along a longest common subsequence;
 * between two matches, the unmatched elements are paired in order (to be compared in detail)
 * and the rest are removed or added. Very large arrays are paired by index.
 */
export function alignArrays(a: unknown[], b: unknown[]): [number | null, number | null][] {
  const n = a.length;
  const m = b.length;
  const pairs: [number | null, number | null][] = [];
  if (n * m > LCS_LIMIT) {
    for (let k = 0; k < Math.max(n, m); k++) pairs.push([k < n ? k : null, k < m ? k : null]);
    return pairs;
  }
  const ka = a.map((v) => JSON.stringify(v));
  const kb = b.map((v) => JSON.stringify(v));
  // lengths[i][j]: LCS length of a[i..] and b[j..]
  const lengths = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i]![j] = ka[i] === kb[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  let pendingA: number[] = [];
  let pendingB: number[] = [];
  const flush = () => {
    for (let k = 0; k < Math.max(pendingA.length, pendingB.length); k++) {
      pairs.push([pendingA[k] ?? null, pendingB[k] ?? null]);
    }
    pendingA = [];
    pendingB = [];
  };
  while (i < n || j < m) {
    if (i < n && j < m && ka[i] === kb[j]) {
      flush();
      pairs.push([i++, j++]);
    } else if (j >= m || (i < n && lengths[i + 1]![j]! >= lengths[i]![j + 1]!)) {
      pendingA.push(i++);
    } else {
      pendingB.push(j++);
    }
  }
  flush();
  return pairs;
}

interface Builder {
  rows: DiffRow[];
  leftNumber: number;
  rightNumber: number;
  isVolatile: (path: string) => boolean;
}

function push(builder: Builder, path: string, kind: RowKind, left: string | null, right: string | null) {
  builder.rows.push({
    path,
    kind,
    left: left === null ? null : { number: ++builder.leftNumber, text: left },
    right: right === null ? null : { number: ++builder.rightNumber, text: right },
    volatile: builder.isVolatile(path),
  });
}

function keyPrefix(key: string | number | null): string {
  return typeof key === "string" ? `${JSON.stringify(key)}: ` : "";
}

function emit(
  builder: Builder,
  path: string,
  leftKey: string | number | null,
  rightKey: string | number | null,
  a: Value,
  b: Value,
  indent: number,
  leftComma: string,
  rightComma: string,
) {
  if (a === MISSING && b === MISSING) return;
  if (a === MISSING || b === MISSING) {
    const present = a === MISSING ? b : a;
    const key = a === MISSING ? rightKey : leftKey;
    const comma = a === MISSING ? rightComma : leftComma;
    for (const line of linesOf(present, path, keyPrefix(key), indent, comma)) {
      if (a === MISSING) push(builder, line.path, "added", null, line.text);
      else push(builder, line.path, "removed", line.text, null);
    }
    return;
  }
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  const bothObjects = isObject(a) && isObject(b);
  if (jsonEqual(a, b) || !(bothArrays || bothObjects)) {
    const left = linesOf(a, path, keyPrefix(leftKey), indent, leftComma);
    const right = linesOf(b, path, keyPrefix(rightKey), indent, rightComma);
    const same = jsonEqual(a, b);
    for (let k = 0; k < Math.max(left.length, right.length); k++) {
      const l = left[k];
      const r = right[k];
      const kind: RowKind = same ? "same" : l && r ? "changed" : l ? "removed" : "added";
      push(builder, (r ?? l)!.path, kind, l?.text ?? null, r?.text ?? null);
    }
    return;
  }
  const [open, close] = bothArrays ? ["[", "]"] : ["{", "}"];
  const emptyA = bothArrays ? (a as unknown[]).length === 0 : Object.keys(a as object).length === 0;
  const emptyB = bothArrays ? (b as unknown[]).length === 0 : Object.keys(b as object).length === 0;
  // An empty container prints on one line; the other side's opening and closing lines face it
  // and an empty cell.
  push(
    builder,
    path,
    emptyA || emptyB ? "changed" : "same",
    `${pad(indent)}${keyPrefix(leftKey)}${open}${emptyA ? close + leftComma : ""}`,
    `${pad(indent)}${keyPrefix(rightKey)}${open}${emptyB ? close + rightComma : ""}`,
  );
  if (bothArrays) {
    const aa = a as unknown[];
    const bb = b as unknown[];
    for (const [i, j] of alignArrays(aa, bb)) {
      emit(
        builder,
        child(path, j ?? i!),
        i,
        j,
        i === null ? MISSING : aa[i],
        j === null ? MISSING : bb[j],
        indent + 1,
        i !== null && i < aa.length - 1 ? "," : "",
        j !== null && j < bb.length - 1 ? "," : "",
      );
    }
  } else {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const aKeys = Object.keys(ao);
    const bKeys = Object.keys(bo);
    const lastA = aKeys[aKeys.length - 1];
    const lastB = bKeys[bKeys.length - 1];
    for (const [ka, kb] of mergeKeys(aKeys, bKeys)) {
      const key = (kb ?? ka)!;
      emit(
        builder,
        child(path, key),
        ka,
        kb,
        ka === null ? MISSING : ao[ka],
        kb === null ? MISSING : bo[kb],
        indent + 1,
        ka !== null && ka !== lastA ? "," : "",
        kb !== null && kb !== lastB ? "," : "",
      );
    }
  }
  if (!emptyA || !emptyB) {
    push(
      builder,
      path,
      emptyA || emptyB ? "changed" : "same",
      emptyA ? null : `${pad(indent)}${close}${leftComma}`,
      emptyB ? null : `${pad(indent)}${close}${rightComma}`,
    );
  }
}

/**
 * The aligned rows of two documents. `undefined` means the document does not exist on that
 * side (before `created`, after `deleted`): every line of the other side is added or removed.
 */
export function alignDocuments(
  from: unknown,
  to: unknown,
  isVolatile: (path: string) => boolean = isVolatilePath,
): DiffRow[] {
  const builder: Builder = { rows: [], leftNumber: 0, rightNumber: 0, isVolatile };
  emit(builder, "", null, null, from === undefined ? MISSING : from, to === undefined ? MISSING : to, 0, "", "");
  return builder.rows;
}

/** The rows that differ, for the "changed paths only" view. */
export function changedRows(rows: readonly DiffRow[]): DiffRow[] {
  return rows.filter((row) => row.kind !== "same");
}

export interface DiffStats {
  added: number;
  removed: number;
  changed: number;
  volatileOnly: boolean;
}

/** Counts of differing rows, and whether every difference is in a volatile field. */
export function diffStats(rows: readonly DiffRow[]): DiffStats {
  const stats: DiffStats = { added: 0, removed: 0, changed: 0, volatileOnly: true };
  let any = false;
  for (const row of rows) {
    if (row.kind === "same") continue;
    any = true;
    stats[row.kind]++;
    if (!row.volatile) stats.volatileOnly = false;
  }
  if (!any) stats.volatileOnly = false;
  return stats;
}

/** A short text for one RFC 6902 operation: `replace /state = "disabled"`. */
export function describeOperation(op: { op: string; path: string; from?: string | null; value?: unknown }): string {
  const path = op.path === "" ? "(whole document)" : op.path;
  switch (op.op) {
    case "remove":
      return `remove ${path}`;
    case "move":
    case "copy":
      return `${op.op} ${op.from ?? ""} → ${path}`;
    default: {
      const value = JSON.stringify(op.value ?? null);
      return `${op.op} ${path} = ${value.length > 200 ? `${value.slice(0, 200)}…` : value}`;
    }
  }
}
