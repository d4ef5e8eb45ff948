// Cursor (keyset) pagination: the API hands out `next_cursor`; going back needs the cursors of
// the pages before, which the API cannot give.
//
// Where things live, and why:
// - The current page's cursor is in the URL (`?cursor=…`), so a page can be bookmarked, shared
//   and reloaded.
// - The stack of previous cursors is in the history entry's state (React Router's location
//   state), not in the URL: the address stays short (a cursor is ~80 characters; a stack in the
//   URL would grow with every page), reloading keeps it (browsers keep `history.state`), and the
//   browser's back and forward buttons step through pages by themselves, each entry carrying its
//   own stack. A shared or bookmarked link has no stack: "Previous" then means "first page".
// - Any filter change drops the cursor and the stack (see `PAGER_RESET`).
import { useCallback } from "react";
import { useLocation, useSearchParams } from "react-router-dom";
import { formatCount } from "./format";

/** Query parameters to drop when the filters change (`useQueryState`'s `drop` option). */
export const PAGER_RESET = ["cursor"] as const;
export const PAGE_SIZES = [50, 100, 200] as const;

interface PagerState {
  pagerStack?: string[];
}

export interface CursorPaging {
  /** The cursor of the page shown, for the API's `cursor` parameter. */
  cursor: string | undefined;
  /** How many pages come before this one, when known (null after opening a shared link). */
  pagesBefore: number | null;
  hasPrevious: boolean;
  next(nextCursor: string): void;
  previous(): void;
  first(): void;
}

export function useCursorPaging(): CursorPaging {
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const cursor = params.get("cursor") || undefined;
  const stack = ((location.state as PagerState | null)?.pagerStack ?? []).filter((c) => typeof c === "string");

  const go = useCallback(
    (target: string | undefined, nextStack: string[]) => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          if (target) next.set("cursor", target);
          else next.delete("cursor");
          return next;
        },
        { state: { pagerStack: nextStack } satisfies PagerState },
      );
    },
    [setParams],
  );

  return {
    cursor,
    pagesBefore: cursor === undefined ? 0 : stack.length > 0 ? stack.length : null,
    hasPrevious: cursor !== undefined,
    next: (nextCursor) => go(nextCursor, [...stack, cursor ?? ""]),
    previous: () => {
      if (stack.length === 0) return go(undefined, []);
      go(stack[stack.length - 1] || undefined, stack.slice(0, -1));
    },
    first: () => go(undefined, []),
  };
}

export interface PagerProps {
  paging: CursorPaging;
  /** Items on this page. */
  count: number;
  nextCursor: string | null | undefined;
  limit: number;
  onLimitChange?: (limit: number) => void;
  /** True while the next page loads (the current one stays on screen). */
  busy?: boolean;
  /** What the items are, for "Showing 50 changes". */
  noun?: string;
}

export function Pager({ paging, count, nextCursor, limit, onLimitChange, busy, noun = "items" }: PagerProps) {
  const page = paging.pagesBefore === null ? null : paging.pagesBefore + 1;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={paging.first} disabled={!paging.hasPrevious || busy}>
        First
      </button>
      <button type="button" onClick={paging.previous} disabled={!paging.hasPrevious || busy}>
        ← Previous
      </button>
      <button type="button" onClick={() => nextCursor && paging.next(nextCursor)} disabled={!nextCursor || busy}>
        Next →
      </button>
      <span className="pager-status" aria-live="polite">
        Showing {formatCount(count)} {noun}
        {page !== null && page > 1 ? ` (page ${page})` : ""}
        {busy ? " · loading…" : ""}
      </span>
      {onLimitChange && (
        <label className="pager-size">
          Per page
          <select aria-label="Per page" value={limit} onChange={(e) => onLimitChange(Number(e.target.value))}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      )}
    </nav>
  );
}
