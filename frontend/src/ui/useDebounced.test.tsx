import { describe, expect, it, vi } from "vitest";
import { act, renderHook } from "@testing-library/react";
import { useDebouncedInput } from "./useDebounced";

describe("useDebouncedInput", () => {
  it("commits once after typing stops and follows changes made elsewhere", () => {
    vi.useFakeTimers();
    const commit = vi.fn();
    const { result, rerender } = renderHook(({ value }) => useDebouncedInput(value, commit, 300), {
      initialProps: { value: "" },
    });
    act(() => result.current[1]("a"));
    act(() => vi.advanceTimersByTime(200));
    act(() => result.current[1]("ab"));
    act(() => vi.advanceTimersByTime(299));
    expect(commit).not.toHaveBeenCalled();
    act(() => vi.advanceTimersByTime(1));
    expect(commit).toHaveBeenCalledExactlyOnceWith("ab");
    rerender({ value: "ab" }); // the commit reached the URL
    // Back/forward or "clear filters" changes the value: the input follows, nothing is committed.
    rerender({ value: "" });
    expect(result.current[0]).toBe("");
    act(() => vi.advanceTimersByTime(1000));
    expect(commit).toHaveBeenCalledTimes(1);
    vi.useRealTimers();
  });
});
