import { describe, expect, it } from "vitest";
import { ApiError, describe as describeProblem, messageOf, toApiError } from "./problem";

describe("problem documents in words", () => {
  it("lists the failing fields of a validation problem", () => {
    const error = toApiError(422, {
      type: "urn:azure-drift-detector:problem:validation",
      title: "Invalid input",
      status: 422,
      errors: [{ field: "channels[0].url", code: "url", message: "must be an https URL" }],
    });
    expect(error.message).toBe("channels[0].url: must be an https URL");
    expect(error.fieldErrors("channels[0].url")).toHaveLength(1);
    expect(error.fieldErrors("name")).toHaveLength(0);
    expect(error.kind).toBe("validation");
  });

  it("explains a refused permission without the API's jargon", () => {
    expect(describeProblem(403)).toMatch(/permission/);
  });

  it("prefers the API's detail for other errors", () => {
    expect(describeProblem(409, { type: "x", title: "Conflict", status: 409, detail: "the role is in use" })).toBe(
      "the role is in use",
    );
  });

  it("says so when the server cannot be reached", () => {
    expect(messageOf(new TypeError("Failed to fetch"))).toMatch(/cannot be reached/);
  });

  it("keeps a non-problem body out of the message", () => {
    const error = toApiError(502, "<html>bad gateway</html>");
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toMatch(/server ran into a problem/);
  });
});
