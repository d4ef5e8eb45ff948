import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { identity, renderSignedIn, stubApi, type Handler } from "../test/render";
import { useSession } from "../auth/SessionProvider";
import { SettingsPage } from "./SettingsPage";

const settings = {
  id: 7,
  tenant_id: 1,
  last_updated: "2026-11-29T06:00:00Z",
  saved_by: "user 5 (adele)",
  notification_settings: {
    min_severity: "high",
    digest: { enabled: true, threshold: 10, window_minutes: 15 },
    channels: [
      { name: "SecOps hook", kind: "webhook", enabled: true, url: "https://hooks.contoso.com/drift" },
      { name: "Mail", kind: "email", enabled: false, recipients: ["soc@contoso.com"], min_severity: "critical" },
    ],
  },
  polling_settings: {
    enabled: true,
    intervals: { entra: 15, intune: 30, arm: 60, signins: 5 },
    disabled_sources: [],
    jitter_percent: 10,
    retention: { history_days: 365, signin_days: 90 },
  },
  drift_thresholds: { default_severity: "medium", ignore_paths: [{ path: "/properties/provisioningState" }], severity_rules: [] },
};

function problem(status: number, body: object) {
  return new Response(JSON.stringify({ type: "urn:azure-drift-detector:problem:validation-failed", title: "Some fields are invalid", status, ...body }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });
}

function serve(permissions: Parameters<typeof identity>[0], put?: (body: any) => Response) {
  const bodies: any[] = [];
  const handler = async (request: Request, url: URL) => {
    if (url.pathname.endsWith("/settings/history")) return Response.json({ items: [settings, { ...settings, id: 6, last_updated: "2026-11-28T06:00:00Z", polling_settings: { ...settings.polling_settings, jitter_percent: 20 } }] });
    if (url.pathname.endsWith("/settings") && request.method === "GET") return Response.json(settings);
    if (url.pathname.endsWith("/settings") && request.method === "PUT") {
      const body = await request.json();
      bodies.push(body);
      return put ? put(body) : Response.json({ ...settings, ...body, id: 8 });
    }
    return undefined;
  };
  const mock = stubApi(identity(permissions), handler as Handler);
  return { mock, bodies };
}

/** Renders once the identity is known (permissions decide what the form offers). */
function renderSettings(path = "/t/1/settings") {
  function Probe() {
    return useSession().identity ? <SettingsPage /> : null;
  }
  renderSignedIn(<Probe />, path, "/t/:tenantId/settings");
}

const writer: Parameters<typeof identity>[0] = ["settings:read", "settings:write"];

describe("settings", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows the API's validation errors beside the fields they belong to, and a summary at the top", async () => {
    const { bodies } = serve(writer, () =>
      problem(422, {
        errors: [
          { field: "notification_settings.channels[0]", code: "url_scheme", message: "url must use https (http only to a loopback host)" },
          { field: "polling_settings.intervals.entra", code: "range", message: "must be between 1 and 1440" },
        ],
      }),
    );
    renderSettings();
    const url = await screen.findByLabelText(/^Webhook URL/);
    await userEvent.clear(url);
    await userEvent.type(url, "http://example.com/hook");
    const entra = screen.getByLabelText(/^Entra ID every/);
    await userEvent.clear(entra);
    await userEvent.type(entra, "0");
    await userEvent.click(screen.getByRole("button", { name: "Save settings" }));

    const summary = await screen.findByRole("alert");
    expect(summary).toHaveTextContent("2 values need fixing");
    expect(within(summary).getByRole("link", { name: "Notifications › Channel “SecOps hook” › URL" })).toBeInTheDocument();
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(url).toHaveAccessibleDescription(/url must use https/);
    expect(url.closest("label")).toHaveTextContent("url must use https");
    expect(entra.closest("label")).toHaveTextContent("must be between 1 and 1440");
    expect(screen.getByLabelText(/^Intune every/)).not.toHaveAttribute("aria-invalid");
    expect(bodies[0].polling_settings.intervals.entra).toBe(0);
  });

  it("keeps a webhook's secret unless a new one is typed", async () => {
    const { bodies } = serve(writer);
    renderSettings();
    const jitter = await screen.findByLabelText(/^Random spread/);
    await userEvent.clear(jitter);
    await userEvent.type(jitter, "20");
    await userEvent.click(screen.getByRole("button", { name: "Save settings" }));
    await screen.findByText(/^Saved /);
    expect(bodies[0].notification_settings.channels[0]).not.toHaveProperty("secret");
    expect(bodies[0].notification_settings.channels[1]).toEqual({
      name: "Mail",
      kind: "email",
      enabled: false,
      min_severity: "critical",
      recipients: ["soc@contoso.com"],
    });

    await userEvent.type(screen.getByLabelText(/^Signing secret/), "a-new-secret-of-24-chars");
    await userEvent.click(screen.getByRole("button", { name: "Save settings" }));
    await vi.waitFor(() => expect(bodies).toHaveLength(2));
    expect(bodies[1].notification_settings.channels[0].secret).toBe("a-new-secret-of-24-chars");
  });

  it("shows the form read-only to a viewer", async () => {
    serve(["settings:read"]);
    renderSettings();
    expect(await screen.findByText(/Changing them needs the/)).toBeInTheDocument();
    expect(screen.getByLabelText(/^Webhook URL/)).toBeDisabled();
    expect(screen.getByLabelText(/^Entra ID every/)).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Save settings" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Add channel" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Remove" })).not.toBeInTheDocument();
  });

  it("adds a channel and says when the server cannot send test notifications", async () => {
    serve(writer);
    renderSettings();
    await userEvent.click(await screen.findByRole("button", { name: "Add channel" }));
    const channel = screen.getByRole("group", { name: "Channel New channel 3" });
    await userEvent.selectOptions(within(channel).getByLabelText("Kind"), "teams");
    expect(within(channel).getByLabelText(/^Teams webhook URL/)).toBeInTheDocument();
    expect(screen.getByText("Unsaved changes")).toBeInTheDocument();
    const hook = screen.getByRole("group", { name: "Channel SecOps hook" });
    await userEvent.click(within(hook).getByRole("button", { name: "Send test notification" }));
    expect(await within(hook).findByText("Sending test notifications needs a newer server.")).toBeInTheDocument();
  });

  it("lists the saved versions and compares one with the version in force", async () => {
    serve(writer);
    renderSettings("/t/1/settings?tab=history");
    await userEvent.click(await screen.findByRole("button", { name: "View version #6" }));
    const dialog = screen.getByRole("dialog", { name: "Settings version #6" });
    expect(within(dialog).getByText("/polling_settings/jitter_percent")).toBeInTheDocument();
    expect(within(dialog).getByText("20")).toBeInTheDocument();
  });

  it("asks before leaving unsaved changes", async () => {
    serve(writer);
    renderSettings();
    const jitter = await screen.findByLabelText(/^Random spread/);
    await userEvent.clear(jitter);
    await userEvent.type(jitter, "30");
    const confirm = vi.fn(() => false);
    vi.stubGlobal("confirm", confirm);
    await userEvent.click(screen.getByRole("link", { name: "History" }));
    expect(confirm).toHaveBeenCalledOnce();
    expect(screen.getByLabelText(/^Random spread/)).toHaveValue(30);
    confirm.mockReturnValue(true);
    await userEvent.click(screen.getByRole("link", { name: "History" }));
    expect(await screen.findByRole("heading", { name: "History of changes" })).toBeInTheDocument();
    expect(await screen.findAllByText("user 5 (adele)")).not.toHaveLength(0);
  });

  it("reports a test notification's outcome", async () => {
    const sent: any[] = [];
    const handler = async (request: Request, url: URL) => {
      if (url.pathname.endsWith("/settings") && request.method === "GET") return Response.json(settings);
      if (url.pathname.endsWith("/notifications/test")) {
        sent.push(await request.json());
        return Response.json({ channel: "SecOps hook", kind: "webhook", delivered: false, response_status: 500, duration_ms: 42, error: "the receiver answered 500" });
      }
      return undefined;
    };
    stubApi(identity(writer), handler as Handler);
    renderSettings();
    const hook = await screen.findByRole("group", { name: "Channel SecOps hook" });
    await userEvent.click(within(hook).getByRole("button", { name: "Send test notification" }));
    expect(await within(hook).findByText(/was not delivered: the receiver answered 500/)).toBeInTheDocument();
    expect(sent[0]).toEqual({ channel: "SecOps hook" });
    await userEvent.type(within(hook).getByLabelText(/^Webhook URL/), "/v2");
    await userEvent.click(within(hook).getByRole("button", { name: "Send test notification" }));
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1].definition).toMatchObject({ name: "SecOps hook", kind: "webhook", url: "https://hooks.contoso.com/drift/v2" });
  });
});
