// Typed screen state kept in the URL's query string, so a filtered view can be bookmarked and
// shared and the browser's back and forward buttons step through filter changes.
//
// Each field has a parser and a default; a value equal to its default is left out of the URL,
// so the plain screen has a plain address. Parameters a screen does not declare are kept.
import { useCallback, useMemo, useRef } from "react";
import { useSearchParams } from "react-router-dom";

/** How one query parameter maps to a typed value. */
export interface Param<T> {
  defaultValue: T;
  parse(raw: string): T | undefined;
  format(value: T): string;
}

/** A free-text parameter (trimmed; empty means the default). */
export function stringParam(defaultValue = ""): Param<string> {
  return { defaultValue, parse: (raw) => raw, format: (value) => value };
}

/** One of a fixed list of values; anything else in the URL falls back to the default. */
export function enumParam<T extends string>(values: readonly T[], defaultValue: T): Param<T> {
  return {
    defaultValue,
    parse: (raw) => (values as readonly string[]).includes(raw) ? (raw as T) : undefined,
    format: (value) => value,
  };
}

/** An optional value out of a fixed list ("" = any). */
export function optionalEnumParam<T extends string>(values: readonly T[]): Param<T | ""> {
  return enumParam<T | "">(["", ...values], "");
}

/** A whole number out of an allowed list (page sizes). */
export function intParam(defaultValue: number, allowed?: readonly number[]): Param<number> {
  return {
    defaultValue,
    parse: (raw) => {
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) return undefined;
      return !allowed || allowed.includes(n) ? n : undefined;
    },
    format: (value) => String(value),
  };
}

export type ParamValues<S extends Record<string, Param<unknown>>> = {
  [K in keyof S]: S[K]["defaultValue"];
};

export interface SetOptions {
  /** Replace the current history entry instead of adding one (typing in a search box). */
  replace?: boolean;
  /** Other query parameters to drop, e.g. the page cursor when a filter changes. */
  drop?: readonly string[];
  /** History state to store with the new entry (the pager's stack of previous cursors). */
  state?: unknown;
}

/** Parse the declared parameters out of a query string (pure, for tests and loaders). */
export function readParams<S extends Record<string, Param<unknown>>>(
  schema: S,
  params: URLSearchParams,
): ParamValues<S> {
  const values = {} as Record<string, unknown>;
  for (const [key, param] of Object.entries(schema)) {
    const raw = params.get(key);
    const parsed = raw === null || raw === "" ? undefined : param.parse(raw);
    values[key] = parsed === undefined ? param.defaultValue : parsed;
  }
  return values as ParamValues<S>;
}

/** Apply a change to a query string: defaults are removed, other parameters are kept. */
export function writeParams<S extends Record<string, Param<unknown>>>(
  schema: S,
  current: URLSearchParams,
  patch: Partial<ParamValues<S>>,
  drop: readonly string[] = [],
): URLSearchParams {
  const next = new URLSearchParams(current);
  for (const key of drop) next.delete(key);
  for (const [key, value] of Object.entries(patch)) {
    const param = schema[key];
    if (!param) continue;
    const text = value === undefined ? "" : param.format(value);
    if (value === undefined || value === param.defaultValue || text === "" || text === param.format(param.defaultValue)) {
      next.delete(key);
    } else {
      next.set(key, text);
    }
  }
  return next;
}

/**
 * The typed values of the declared query parameters and a setter that merges a patch into the
 * URL. Declare the schema outside the component (or memoise it) so its identity is stable.
 */
export function useQueryState<S extends Record<string, Param<unknown>>>(
  schema: S,
): [ParamValues<S>, (patch: Partial<ParamValues<S>>, options?: SetOptions) => void] {
  const [params, setParams] = useSearchParams();
  const values = useMemo(() => readParams(schema, params), [schema, params]);
  // React Router hands a functional update the query of the last render, so two changes
  // before the next render (two quick filter changes) would lose the first. Build on the
  // last query written instead, until the router shows a newer one.
  const latest = useRef({ seen: params, current: params });
  if (latest.current.seen !== params) latest.current = { seen: params, current: params };
  const set = useCallback(
    (patch: Partial<ParamValues<S>>, options: SetOptions = {}) => {
      const next = writeParams(schema, latest.current.current, patch, options.drop);
      latest.current.current = next;
      setParams(next, { replace: options.replace, state: options.state });
    },
    [schema, setParams],
  );
  return [values, set];
}
