import { describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { JsonView, containerPaths } from "./JsonView";

const doc = { displayName: "CA01", state: "enabled", conditions: { users: { includeUsers: ["All"] } }, "a/b": 1 };

describe("JsonView", () => {
  it("opens to the initial depth and toggles nodes by mouse and keyboard", async () => {
    render(<JsonView value={doc} initialDepth={1} />);
    const tree = screen.getByRole("tree");
    expect(within(tree).getByText('"displayName":')).toBeInTheDocument();
    expect(within(tree).queryByText('"users":')).not.toBeInTheDocument();
    await userEvent.click(within(tree).getByText('"conditions":'));
    expect(within(tree).getByText('"users":')).toBeInTheDocument();
    // Keyboard: the focused item opens with → and closes with ←.
    const users = within(tree).getByText('"users":').closest("[role=treeitem]") as HTMLElement;
    users.focus();
    await userEvent.keyboard("{ArrowRight}");
    expect(within(tree).getByText('"includeUsers":')).toBeInTheDocument();
    await userEvent.keyboard("{ArrowLeft}");
    expect(within(tree).queryByText('"includeUsers":')).not.toBeInTheDocument();
    expect(screen.getByTitle("The JSON Pointer of the selected node")).toHaveTextContent("/conditions/users");
  });

  it("copies the document and the focused node's path", async () => {
    const user = userEvent.setup();
    const writeText = vi.spyOn(navigator.clipboard, "writeText");
    render(<JsonView value={doc} />);
    await user.click(screen.getByRole("button", { name: "Copy document" }));
    expect(writeText).toHaveBeenLastCalledWith(JSON.stringify(doc, null, 2));
    expect(await screen.findByText("Copied the document.")).toBeInTheDocument();
    (screen.getByText('"a/b":').closest("[role=treeitem]") as HTMLElement).focus();
    await user.click(screen.getByRole("button", { name: "Copy path" }));
    expect(writeText).toHaveBeenLastCalledWith("/a~1b");
  });

  it("renders a 5 000-line document quickly and large arrays in slices", () => {
    const big = { items: Array.from({ length: 1200 }, (_, i) => ({ id: i, name: `n${i}`, on: true })) };
    const started = performance.now();
    render(<JsonView value={big} initialDepth={2} />);
    // Generous: the point is the sliced rendering below, not a benchmark on a shared machine.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(screen.getAllByRole("treeitem")).toHaveLength(2 + 200);
    expect(screen.getByRole("button", { name: /Show 1000 more of 1000 remaining/ })).toBeInTheDocument();
    expect(containerPaths(big, Infinity).size).toBe(1202);
  });
});
