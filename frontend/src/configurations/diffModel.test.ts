import { describe, expect, it } from "vitest";
import {
  alignArrays,
  alignDocuments,
  changedRows,
  describeOperation,
  diffStats,
  isVolatilePath,
  jsonEqual,
  matchesPattern,
  mergeKeys,
  volatileRule,
  type DiffRow,
} from "./diffModel";

/** The rows as `kind | left | right` strings, easy to read in a failure. */
function show(rows: DiffRow[]): string[] {
  return rows.map((r) => `${r.kind} | ${r.left?.text ?? "·"} | ${r.right?.text ?? "·"}`);
}

/** Each side's lines, read back in order, must be exactly JSON.stringify(doc, null, 2). */
function sides(rows: DiffRow[]) {
  const left = rows.filter((r) => r.left).map((r) => r.left!.text).join("\n");
  const right = rows.filter((r) => r.right).map((r) => r.right!.text).join("\n");
  return { left, right };
}

describe("alignDocuments", () => {
  it("shows equal documents as unchanged rows, both sides printed like JSON.stringify", () => {
    const doc = { a: 1, b: [1, 2], c: { d: null } };
    const rows = alignDocuments(doc, structuredClone(doc));
    expect(rows.every((r) => r.kind === "same")).toBe(true);
    expect(sides(rows)).toEqual({ left: JSON.stringify(doc, null, 2), right: JSON.stringify(doc, null, 2) });
  });

  it("marks a changed scalar as one changed row with its path", () => {
    const rows = alignDocuments({ displayName: "CA01", state: "enabled" }, { displayName: "CA01", state: "disabled" });
    expect(show(rows)).toEqual([
      'same | { | {',
      'same |   "displayName": "CA01", |   "displayName": "CA01",',
      'changed |   "state": "enabled" |   "state": "disabled"',
      'same | } | }',
    ]);
    expect(rows[2]!.path).toBe("/state");
  });

  it("aligns added and removed keys against empty cells and keeps each side's commas right", () => {
    const from = { a: 1, gone: true, c: 3 };
    const to = { a: 1, c: 3, added: "x" };
    const rows = alignDocuments(from, to);
    expect(show(rows)).toEqual([
      "same | { | {",
      'same |   "a": 1, |   "a": 1,',
      'removed |   "gone": true, | ·',
      'same |   "c": 3 |   "c": 3,',
      'added | · |   "added": "x"',
      "same | } | }",
    ]);
    expect(sides(rows)).toEqual({ left: JSON.stringify(from, null, 2), right: JSON.stringify(to, null, 2) });
    expect(rows.find((r) => r.kind === "added")!.path).toBe("/added");
    expect(rows.find((r) => r.kind === "removed")!.path).toBe("/gone");
  });

  it("lines up an element inserted at the front of an array instead of marking every element", () => {
    const rows = alignDocuments({ users: ["b", "c"] }, { users: ["a", "b", "c"] });
    expect(show(rows)).toEqual([
      "same | { | {",
      'same |   "users": [ |   "users": [',
      'added | · |     "a",',
      'same |     "b", |     "b",',
      'same |     "c" |     "c"',
      "same |   ] |   ]",
      "same | } | }",
    ]);
    expect(rows[2]!.path).toBe("/users/0");
  });

  it("compares a changed array element in detail", () => {
    const rows = alignDocuments([{ id: 1, on: true }], [{ id: 1, on: false }]);
    expect(changedRows(rows).map((r) => [r.kind, r.path])).toEqual([["changed", "/0/on"]]);
  });

  it("prints a whole subtree as added when its key is new, each line with its own path", () => {
    const rows = alignDocuments({}, { grant: { ops: ["mfa"] } });
    expect(show(rows)).toEqual([
      "changed | {} | {",
      'added | · |   "grant": {',
      'added | · |     "ops": [',
      'added | · |       "mfa"',
      "added | · |     ]",
      "added | · |   }",
      "changed | · | }",
    ]);
    expect(rows.map((r) => r.path)).toEqual(["", "/grant", "/grant/ops", "/grant/ops/0", "/grant/ops", "/grant", ""]);
  });

  it("shows a value whose type changed as changed rows side by side", () => {
    const rows = alignDocuments({ x: "a" }, { x: { y: 1 } });
    expect(show(rows).slice(1, 4)).toEqual([
      'changed |   "x": "a" |   "x": {',
      'added | · |     "y": 1',
      "added | · |   }",
    ]);
  });

  it("treats a missing document (created, deleted) as all added or all removed", () => {
    const created = alignDocuments(undefined, { a: 1 });
    expect(created.every((r) => r.kind === "added" && r.left === null)).toBe(true);
    const deleted = alignDocuments({ a: 1 }, undefined);
    expect(deleted.every((r) => r.kind === "removed" && r.right === null)).toBe(true);
    expect(alignDocuments(undefined, undefined)).toEqual([]);
  });

  it("numbers each side's lines from 1", () => {
    const rows = alignDocuments({ a: 1 }, { a: 1, b: 2 });
    expect(rows.map((r) => [r.left?.number ?? null, r.right?.number ?? null])).toEqual([
      [1, 1], [2, 2], [null, 3], [3, 4],
    ]);
  });

  it("marks volatile fields, and everything under them", () => {
    const rows = alignDocuments(
      { modifiedDateTime: "t1", "@odata.etag": "1", meta: { version: 3, x: 1 }, "@odata.type": "#a" },
      { modifiedDateTime: "t2", "@odata.etag": "2", meta: { version: 4, x: 1 }, "@odata.type": "#a" },
    );
    const changed = changedRows(rows);
    expect(changed.map((r) => [r.path, r.volatile])).toEqual([
      ["/modifiedDateTime", true],
      ["/@odata.etag", true],
      ["/meta/version", true],
    ]);
    expect(rows.find((r) => r.path === "/@odata.type")!.volatile).toBe(false);
    expect(diffStats(rows)).toEqual({ added: 0, removed: 0, changed: 3, volatileOnly: true });
  });

  it("accepts a caller's volatile rule (e.g. the API's list, when it gives one)", () => {
    const rows = alignDocuments({ a: 1, b: 1 }, { a: 2, b: 2 }, (p) => p === "/b");
    expect(changedRows(rows).map((r) => r.volatile)).toEqual([false, true]);
  });

  it("stays fast on documents of thousands of lines", () => {
    const make = (flip: number) => ({
      items: Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item ${i}`, on: i === flip })),
    });
    const started = performance.now();
    const rows = alignDocuments(make(10), make(500));
    expect(performance.now() - started).toBeLessThan(1500);
    expect(rows.length).toBeGreaterThan(5000);
    expect(changedRows(rows).map((r) => r.path)).toEqual(["/items/10/on", "/items/500/on"]);
  });
});

describe("helpers", () => {
  it("isVolatilePath knows the issue's names and OData annotations but not @odata.type", () => {
    expect(isVolatilePath("/lastModifiedDateTime")).toBe(true);
    expect(isVolatilePath("/properties/etag")).toBe(true);
    expect(isVolatilePath("/members@odata.nextLink")).toBe(true);
    expect(isVolatilePath("/@odata.type")).toBe(false);
    expect(isVolatilePath("/state")).toBe(false);
    expect(isVolatilePath("")).toBe(false);
  });

  it("jsonEqual ignores key order but not array order", () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: null }, {})).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
  });

  it("mergeKeys keeps the newer order and puts removed keys where they stood", () => {
    expect(mergeKeys(["a", "b", "c"], ["a", "c", "d"])).toEqual([["a", "a"], ["b", null], ["c", "c"], [null, "d"]]);
    expect(mergeKeys(["b", "a"], ["a", "b"])).toEqual([["a", "a"], ["b", "b"]]);
  });

  it("alignArrays pairs unmatched runs in order and falls back to indices for huge arrays", () => {
    expect(alignArrays([1, 2, 3], [1, 9, 3, 4])).toEqual([[0, 0], [1, 1], [2, 2], [null, 3]]);
    expect(alignArrays(["x"], [])).toEqual([[0, null]]);
    const big = Array.from({ length: 600 }, (_, i) => i);
    expect(alignArrays(big, [-1, ...big]).slice(0, 2)).toEqual([[0, 0], [1, 1]]);
  });

  it("describeOperation writes one line per RFC 6902 operation", () => {
    expect(describeOperation({ op: "replace", path: "/state", value: "disabled" })).toBe('replace /state = "disabled"');
    expect(describeOperation({ op: "remove", path: "/a" })).toBe("remove /a");
    expect(describeOperation({ op: "add", path: "", value: { a: 1 } })).toBe('add (whole document) = {"a":1}');
    expect(describeOperation({ op: "move", from: "/a", path: "/b" })).toBe("move /a → /b");
  });
});

describe("volatile rule", () => {
  it("matches pointer patterns with * segments, and everything under them", () => {
    expect(matchesPattern("/properties/provisioningState", "/properties/provisioningState")).toBe(true);
    expect(matchesPattern("/properties/subnets/0/etag", "/properties/*/*/etag")).toBe(true);
    expect(matchesPattern("/systemData/createdAt", "/systemData")).toBe(true);
    expect(matchesPattern("/system", "/systemData")).toBe(false);
    expect(matchesPattern("/a", "/a/b")).toBe(false);
  });

  it("prefers the API's volatile paths and falls back to the built-in names", () => {
    const fromApi = volatileRule({ changed_paths: [], volatile_paths: ["/properties/provisioningState"] });
    expect(fromApi("/properties/provisioningState")).toBe(true);
    expect(fromApi("/modifiedDateTime")).toBe(false);
    const builtIn = volatileRule({ changed_paths: [] });
    expect(builtIn("/modifiedDateTime")).toBe(true);
  });
});
