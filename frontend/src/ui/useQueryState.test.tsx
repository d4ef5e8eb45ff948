import { describe, expect, it } from "vitest";
import { act, render, screen } from "@testing-library/react";
import { MemoryRouter, useLocation } from "react-router-dom";
import { enumParam, intParam, optionalEnumParam, readParams, stringParam, useQueryState, writeParams } from "./useQueryState";

const schema = {
  search: stringParam(),
  state: enumParam(["present", "deleted", "all"] as const, "present"),
  source: optionalEnumParam(["entra", "intune", "arm"] as const),
  limit: intParam(50, [50, 100, 200]),
};

describe("readParams", () => {
  it("gives defaults for absent, empty and invalid values", () => {
    const values = readParams(schema, new URLSearchParams("state=bogus&limit=7&search="));
    expect(values).toEqual({ search: "", state: "present", source: "", limit: 50 });
  });

  it("parses valid values", () => {
    const values = readParams(schema, new URLSearchParams("search=mfa&state=all&source=arm&limit=200"));
    expect(values).toEqual({ search: "mfa", state: "all", source: "arm", limit: 200 });
  });
});

describe("writeParams", () => {
  it("leaves defaults out of the URL and keeps undeclared parameters", () => {
    const next = writeParams(schema, new URLSearchParams("other=1&state=all&limit=100"), { state: "present", search: "ca 01" });
    expect(next.toString()).toBe("other=1&limit=100&search=ca+01");
  });

  it("drops the named parameters (the cursor when a filter changes)", () => {
    const next = writeParams(schema, new URLSearchParams("cursor=abc&source=arm"), { source: "" }, ["cursor"]);
    expect(next.toString()).toBe("");
  });
});

function Probe() {
  const [values, set] = useQueryState(schema);
  const location = useLocation();
  return (
    <>
      <output data-testid="values">{JSON.stringify(values)}</output>
      <output data-testid="search">{location.search}</output>
      <button onClick={() => set({ source: "intune" }, { drop: ["cursor"] })}>intune</button>
      <button onClick={() => (set({ source: "arm" }), set({ search: "vault" }))}>two at once</button>
    </>
  );
}

describe("useQueryState", () => {
  it("reads the URL and writes a change back to it", async () => {
    render(
      <MemoryRouter initialEntries={["/x?cursor=c1&search=mfa"]}>
        <Probe />
      </MemoryRouter>,
    );
    expect(JSON.parse(screen.getByTestId("values").textContent!)).toMatchObject({ search: "mfa", source: "" });
    await act(async () => screen.getByText("intune").click());
    expect(screen.getByTestId("search").textContent).toBe("?search=mfa&source=intune");
  });

  it("keeps both of two changes made before the next render", async () => {
    render(
      <MemoryRouter initialEntries={["/x?search=mfa"]}>
        <Probe />
      </MemoryRouter>,
    );
    await act(async () => screen.getByText("two at once").click());
    expect(screen.getByTestId("search").textContent).toBe("?search=vault&source=arm");
  });
});
