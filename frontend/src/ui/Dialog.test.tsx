import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ConfirmDialog, Dialog } from "./Dialog";

describe("dialog", () => {
  it("takes focus, keeps Tab inside and closes on Escape", async () => {
    const close = vi.fn();
    render(
      <>
        <button>outside</button>
        <Dialog title="Edit" onClose={close} footer={<button>Save</button>}>
          <input aria-label="Name" />
        </Dialog>
      </>,
    );
    expect(screen.getByLabelText("Name")).toHaveFocus();
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Save" })).toHaveFocus();
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Close" })).toHaveFocus();
    await userEvent.tab({ shift: true });
    expect(screen.getByRole("button", { name: "Save" })).toHaveFocus();
    await userEvent.keyboard("{Escape}");
    expect(close).toHaveBeenCalledOnce();
  });

  it("confirms only once the word is typed", async () => {
    const confirm = vi.fn();
    render(
      <ConfirmDialog title="Delete?" confirmLabel="Delete" typeToConfirm="Fabrikam" onConfirm={confirm} onClose={() => {}}>
        Gone for good.
      </ConfirmDialog>,
    );
    const button = screen.getByRole("button", { name: "Delete" });
    expect(button).toBeDisabled();
    await userEvent.type(screen.getByLabelText(/Type/), "Fabrikam");
    await userEvent.click(button);
    expect(confirm).toHaveBeenCalledOnce();
  });
});
