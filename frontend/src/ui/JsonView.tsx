// A JSON document as a collapsible tree: keyboard-usable (the WAI-ARIA tree pattern: arrows move
// and open, Home/End jump, Enter toggles, `c` copies the focused value), with buttons to copy the
// whole document, the focused node's value or its JSON Pointer.
//
// Large documents stay responsive: only opened containers render their children, the tree opens
// to `initialDepth` levels, and containers with many children show them in slices.
import { memo, useCallback, useMemo, useRef, useState, type FocusEvent, type KeyboardEvent } from "react";
import { child, valueAt } from "./jsonPointer";

const SLICE = 200;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isContainer(value: unknown): value is Json[] | Record<string, Json> {
  return value !== null && typeof value === "object";
}

/** A container with something to open (an empty one is shown like a scalar: `[]`, `{}`). */
function isOpenable(value: unknown): value is Json[] | Record<string, Json> {
  return isContainer(value) && Object.keys(value).length > 0;
}

function entriesOf(value: Json[] | Record<string, Json>): [string, Json][] {
  return Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
}

/** Every container path down to `depth` levels (all when depth is Infinity). */
export function containerPaths(value: unknown, depth: number, pointer = "", out = new Set<string>()): Set<string> {
  if (!isOpenable(value) || depth <= 0) return out;
  out.add(pointer);
  for (const [key, item] of entriesOf(value)) containerPaths(item, depth - 1, child(pointer, key), out);
  return out;
}

function summary(value: Json[] | Record<string, Json>): string {
  if (Array.isArray(value)) return `[ ${value.length} ${value.length === 1 ? "item" : "items"} ]`;
  const n = Object.keys(value).length;
  return `{ ${n} ${n === 1 ? "key" : "keys"} }`;
}

function Scalar({ value }: { value: Json }) {
  if (Array.isArray(value)) return <span className="json-null">[]</span>;
  if (value !== null && typeof value === "object") return <span className="json-null">{"{}"}</span>;
  if (value === null) return <span className="json-null">null</span>;
  if (typeof value === "string") return <span className="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === "number") return <span className="json-number">{value}</span>;
  return <span className="json-boolean">{String(value)}</span>;
}

/**
 * Copies text. The Clipboard API exists only in secure contexts (HTTPS or localhost); served
 * over plain HTTP on a network address, the older selection-and-copy command still works.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    } finally {
      area.remove();
    }
  }
}

export interface JsonViewProps {
  value: unknown;
  /** Accessible name of the tree. */
  label?: string;
  initialDepth?: number;
}

export function JsonView({ value, label = "JSON document", initialDepth = 2 }: JsonViewProps) {
  const [expanded, setExpanded] = useState(() => containerPaths(value, initialDepth));
  const [focused, setFocused] = useState("");
  const [status, setStatus] = useState("");
  const tree = useRef<HTMLUListElement>(null);
  const text = useMemo(() => JSON.stringify(value, null, 2), [value]);

  const toggle = useCallback((pointer: string, open?: boolean) => {
    setExpanded((current) => {
      const next = new Set(current);
      const willOpen = open ?? !current.has(pointer);
      if (willOpen) next.add(pointer);
      else next.delete(pointer);
      return next;
    });
  }, []);

  const copy = async (what: string, textToCopy: string) => {
    setStatus((await copyText(textToCopy)) ? `Copied ${what}.` : `Could not copy ${what}: the browser refused access to the clipboard.`);
  };

  const focusedValue = useMemo(() => valueAt(value, focused), [value, focused]);

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const items = Array.from(tree.current?.querySelectorAll<HTMLElement>("[data-pointer]") ?? []);
    const index = items.findIndex((el) => el === document.activeElement);
    if (index < 0) return;
    const current = items[index]!;
    const pointer = current.dataset.pointer ?? "";
    const container = current.dataset.container === "true";
    const move = (to: number) => items[Math.max(0, Math.min(items.length - 1, to))]?.focus();
    switch (event.key) {
      case "ArrowDown": move(index + 1); break;
      case "ArrowUp": move(index - 1); break;
      case "Home": move(0); break;
      case "End": move(items.length - 1); break;
      case "ArrowRight":
        if (container && !expanded.has(pointer)) toggle(pointer, true);
        else move(index + 1);
        break;
      case "ArrowLeft":
        if (container && expanded.has(pointer)) toggle(pointer, false);
        else {
          const parent = pointer.slice(0, pointer.lastIndexOf("/"));
          if (pointer !== "") move(items.findIndex((el) => el.dataset.pointer === parent));
        }
        break;
      case "Enter":
      case " ":
        if (container) toggle(pointer);
        break;
      case "c":
        void copy(`the value at ${pointer || "the root"}`, JSON.stringify(valueAt(value, pointer), null, 2));
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  // Roving tabindex, kept in the DOM rather than in props so that moving the focus through a
  // large tree re-renders nothing but the toolbar.
  const onTreeFocus = (event: FocusEvent<HTMLUListElement>) => {
    const target = event.target as HTMLElement;
    if (target.dataset.pointer === undefined) return;
    for (const el of tree.current?.querySelectorAll<HTMLElement>('[data-pointer][tabindex="0"]') ?? []) {
      if (el !== target) el.tabIndex = -1;
    }
    target.tabIndex = 0;
    setFocused(target.dataset.pointer);
  };

  return (
    <div className="json-view">
      <div className="toolbar json-toolbar">
        <button type="button" onClick={() => void copy("the document", text)}>Copy document</button>
        <button type="button" onClick={() => void copy(`the value at ${focused || "the root"}`, JSON.stringify(focusedValue, null, 2))}>
          Copy value
        </button>
        <button type="button" onClick={() => void copy("the path", focused)} disabled={focused === ""}>
          Copy path
        </button>
        <button type="button" onClick={() => setExpanded(containerPaths(value, Infinity))}>Expand all</button>
        <button type="button" onClick={() => setExpanded(new Set([""]))}>Collapse all</button>
        <span className="json-focused mono" title="The JSON Pointer of the selected node">
          {focused || "(root)"}
        </span>
        <span className="json-status" role="status">{status}</span>
      </div>
      <ul className="json json-tree" role="tree" aria-label={label} ref={tree} onKeyDown={onKeyDown} onFocus={onTreeFocus}>
        <Node name={null} value={value as Json} pointer="" expanded={expanded} onToggle={toggle} level={1} />
      </ul>
    </div>
  );
}

interface NodeProps {
  name: string | null;
  value: Json;
  pointer: string;
  expanded: Set<string>;
  onToggle(pointer: string): void;
  level: number;
}

const Node = memo(function Node({ name, value, pointer, expanded, onToggle, level }: NodeProps) {
  const [shown, setShown] = useState(SLICE);
  const container = isOpenable(value);
  const open = container && expanded.has(pointer);
  const entries = open ? entriesOf(value) : [];
  return (
    <li role="none">
      <div
        role="treeitem"
        aria-level={level}
        aria-expanded={container ? open : undefined}
        tabIndex={pointer === "" ? 0 : -1}
        data-pointer={pointer}
        data-container={container}
        className="json-row"
        onClick={() => container && onToggle(pointer)}
      >
        {container ? <span className="json-caret" aria-hidden="true">{open ? "▾" : "▸"}</span> : <span className="json-caret" />}
        {name !== null && <span className="json-key">{name}: </span>}
        {container ? <span className="json-summary">{summary(value)}</span> : <Scalar value={value} />}
      </div>
      {open && entries.length > 0 && (
        <ul role="group">
          {entries.slice(0, shown).map(([key, item]) => (
            <Node
              key={key}
              name={Array.isArray(value) ? `[${key}]` : JSON.stringify(key)}
              value={item}
              pointer={child(pointer, key)}
              expanded={expanded}
              onToggle={onToggle}
              level={level + 1}
            />
          ))}
          {entries.length > shown && (
            <li role="none">
              <button type="button" className="json-more" onClick={() => setShown((n) => n + SLICE * 5)}>
                Show {Math.min(SLICE * 5, entries.length - shown)} more of {entries.length - shown} remaining
              </button>
            </li>
          )}
        </ul>
      )}
    </li>
  );
});
