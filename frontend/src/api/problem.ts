// Problem documents (RFC 7807) turned into sentences a person understands.
import type { components } from "./schema";

export type Problem = components["schemas"]["Problem"];
export type FieldError = components["schemas"]["FieldError"];

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }

  /** The validation errors of one field (`channels[0].url`), for showing beside it. */
  fieldErrors(field: string): FieldError[] {
    return (this.problem?.errors ?? []).filter((e) => e.field === field);
  }

  get kind(): string | undefined {
    return this.problem?.type?.split(":").pop();
  }
}

function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && "status" in value && "title" in value;
}

export function toApiError(status: number, body: unknown): ApiError {
  const problem = isProblem(body) ? body : undefined;
  return new ApiError(status, problem, describe(status, problem));
}

/** What went wrong, in words: the API's detail when it has one, else a sentence for the status. */
export function describe(status: number, problem?: Problem): string {
  switch (status) {
    case 0:
      return "The server cannot be reached. Check your connection and try again.";
    case 401:
      return problem?.detail ?? "Your session has ended. Please sign in again.";
    case 403:
      return "You do not have permission to do this. Ask an administrator of this tenant for access.";
    case 404:
      return "This item does not exist, or it was deleted.";
    case 423:
      return problem?.detail ?? "This account is locked for a while after too many failed sign-ins.";
    case 429:
      return problem?.detail ?? "Too many requests in a short time. Wait a moment and try again.";
  }
  if (problem?.errors?.length) {
    return problem.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  }
  if (problem?.detail) return problem.detail;
  if (status >= 500) return "The server ran into a problem. Try again in a moment; if it persists, the server log says why.";
  return problem?.title ?? `The request failed (HTTP ${status}).`;
}

/** Any thrown value as a message for the screen. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return describe(0);
  return error instanceof Error ? error.message : String(error);
}
