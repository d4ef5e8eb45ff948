import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation } from "react-router-dom";
import { Pager, useCursorPaging } from "./Pager";

// A fake list: page n's next cursor is "c<n+1>".
function List() {
  const paging = useCursorPaging();
  const location = useLocation();
  const page = paging.cursor ? Number(paging.cursor.slice(1)) : 1;
  return (
    <>
      <output data-testid="url">{location.search}</output>
      <Pager paging={paging} count={50} nextCursor={page < 3 ? `c${page + 1}` : null} limit={50} onLimitChange={() => {}} />
    </>
  );
}

describe("Pager", () => {
  it("walks forward with next_cursor and back with the stack of previous cursors", async () => {
    render(
      <MemoryRouter initialEntries={["/list?source=arm"]}>
        <List />
      </MemoryRouter>,
    );
    const url = () => screen.getByTestId("url").textContent;
    expect(screen.getByRole("button", { name: "← Previous" })).toBeDisabled();
    expect(screen.getByText("Showing 50 items")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Next →" }));
    expect(url()).toBe("?source=arm&cursor=c2");
    await userEvent.click(screen.getByRole("button", { name: "Next →" }));
    expect(url()).toBe("?source=arm&cursor=c3");
    expect(screen.getByText(/page 3/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next →" })).toBeDisabled();
    await userEvent.click(screen.getByRole("button", { name: "← Previous" }));
    expect(url()).toBe("?source=arm&cursor=c2");
    await userEvent.click(screen.getByRole("button", { name: "← Previous" }));
    expect(url()).toBe("?source=arm");
  });

  it("goes to the first page from a shared link that has no stack", async () => {
    render(
      <MemoryRouter initialEntries={["/list?cursor=c3"]}>
        <List />
      </MemoryRouter>,
    );
    await userEvent.click(screen.getByRole("button", { name: "← Previous" }));
    expect(screen.getByTestId("url").textContent).toBe("");
  });
});
