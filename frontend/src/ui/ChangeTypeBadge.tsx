import type { Schemas } from "../api/client";

export type ChangeType = Schemas["ChangeType"];
export const CHANGE_TYPES: readonly ChangeType[] = ["created", "updated", "deleted"];

const LABELS: Record<ChangeType, string> = { created: "Created", updated: "Updated", deleted: "Deleted" };

export function changeTypeLabel(type: ChangeType): string {
  return LABELS[type];
}

/** Created / updated / deleted as a badge (a symbol and the word, so colour is not needed). */
export function ChangeTypeBadge({ type }: { type: ChangeType }) {
  const symbol = type === "created" ? "+" : type === "deleted" ? "−" : "~";
  return (
    <span className={`badge change-${type}`}>
      <span aria-hidden="true">{symbol} </span>
      {LABELS[type]}
    </span>
  );
}
