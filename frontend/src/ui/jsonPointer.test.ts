import { describe, expect, it } from "vitest";
import { child, tokens, valueAt } from "./jsonPointer";

describe("JSON Pointer", () => {
  it("escapes ~ and / in tokens and reads them back", () => {
    const pointer = child(child("", "a/b"), "m~n");
    expect(pointer).toBe("/a~1b/m~0n");
    expect(tokens(pointer)).toEqual(["a/b", "m~n"]);
    expect(tokens("")).toEqual([]);
  });

  it("finds values in objects and arrays", () => {
    const doc = { "a/b": [{ c: 1 }] };
    expect(valueAt(doc, "/a~1b/0/c")).toBe(1);
    expect(valueAt(doc, "")).toBe(doc);
    expect(valueAt(doc, "/missing/x")).toBeUndefined();
  });
});
