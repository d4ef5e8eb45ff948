// Validation errors from the API (problem+json `errors`) shown beside the fields they belong
// to. A form provides the errors and, where the API names a field differently from the input
// a person fixes, a `targetOf` mapping; inputs find theirs by path.
import { createContext, useContext, type ReactNode } from "react";
import type { FieldError } from "../api/problem";

interface ErrorsValue {
  errors: FieldError[];
  targetOf(error: FieldError): string;
}

const ErrorsContext = createContext<ErrorsValue>({ errors: [], targetOf: (e) => e.field });

export function FieldErrorsProvider({
  errors,
  targetOf = (e) => e.field,
  children,
}: {
  errors: FieldError[];
  targetOf?: (error: FieldError) => string;
  children: ReactNode;
}) {
  return <ErrorsContext.Provider value={{ errors, targetOf }}>{children}</ErrorsContext.Provider>;
}

/** The id of the input for a field path (for labels, links and focus). */
export function fieldId(path: string): string {
  return `f-${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

export function useFieldErrors(path: string): FieldError[] {
  const { errors, targetOf } = useContext(ErrorsContext);
  return errors.filter((e) => targetOf(e) === path);
}

/** The messages for one field, announced with it (`aria-describedby`). */
export function FieldErrors({ path }: { path: string }) {
  const errors = useFieldErrors(path);
  if (errors.length === 0) return null;
  return (
    <span className="field-error" id={`${fieldId(path)}-error`}>
      {errors.map((e) => e.message).join("; ")}
    </span>
  );
}

/** Props that tie an input to its path: id, invalid state and its error text. */
export function useFieldProps(path: string) {
  const invalid = useFieldErrors(path).length > 0;
  return {
    id: fieldId(path),
    "aria-invalid": invalid || undefined,
    "aria-describedby": invalid ? `${fieldId(path)}-error` : undefined,
  } as const;
}
