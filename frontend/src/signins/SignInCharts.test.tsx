import { describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { SignInCharts } from "./SignInCharts";
import type { SignInSummary } from "./summary";

const fixture: SignInSummary = {
  totals: { total: 1200, successes: 1000, failures: 200 },
  overTime: [
    { bucket: "2026-11-28T00:00:00Z", success: 600, failure: 50 },
    { bucket: "2026-11-29T00:00:00Z", success: 400, failure: 150 },
  ],
  failuresByErrorCode: { top: [{ key: "50126", count: 150 }, { key: "53003", count: 40 }], other: 10 },
  byCountry: { top: [{ key: "GB", count: 900 }], other: 300 },
  byApplication: { top: [{ key: "Microsoft Teams", count: 1200 }], other: 0 },
  pageOnly: false,
};

function table(name: string) {
  const figure = screen.getByText(name).closest("figure")!;
  return within(figure).getByRole("table", { hidden: true });
}

describe("sign-in charts", () => {
  it("shows the totals and each chart's numbers as a table", () => {
    render(<SignInCharts summary={fixture} bucket="day" />);
    expect(screen.getByText("1,200", { selector: "strong" })).toBeInTheDocument();
    expect(screen.getByText("1,000 succeeded")).toBeInTheDocument();
    expect(screen.getByText("200 failed")).toBeInTheDocument();
    const volume = table("Sign-ins per day");
    expect(within(volume).getAllByRole("row", { hidden: true })).toHaveLength(3);
    expect(within(volume).getByText("150")).toBeInTheDocument();
    const codes = table("Failures by error code");
    expect(within(codes).getByText("50126")).toBeInTheDocument();
    expect(within(codes).getByText("Other")).toBeInTheDocument();
    expect(within(table("Sign-ins by country")).getByText("300")).toBeInTheDocument();
    expect(screen.queryByText(/Charts show this page only/)).not.toBeInTheDocument();
  });

  it("says when the charts cover only the page on screen", () => {
    render(<SignInCharts summary={{ ...fixture, pageOnly: true, byCountry: { top: [], other: 0 } }} bucket="hour" />);
    expect(screen.getByText(/Charts show this page only/)).toBeInTheDocument();
    expect(screen.getByText("This server does not report countries yet.")).toBeInTheDocument();
  });

  it("turns an error code into a filter", async () => {
    const pick = vi.fn();
    render(<SignInCharts summary={fixture} bucket="day" onPickErrorCode={pick} />);
    const figure = screen.getByText("Failures by error code").closest("figure")!;
    await userEvent.click(within(figure).getByText("Show as table"));
    await userEvent.click(within(figure).getByRole("button", { name: "50126" }));
    expect(pick).toHaveBeenCalledWith("50126");
  });
});
