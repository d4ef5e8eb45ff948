import { useEffect, useRef, useState } from "react";

/**
 * A text input's own value, written back (debounced) through `commit`; it follows `value` when
 * that changes from outside (back/forward, a "clear filters" button).
 */
export function useDebouncedInput(value: string, commit: (value: string) => void, delay = 300) {
  const [text, setText] = useState(value);
  const [lastOutside, setLastOutside] = useState(value);
  if (value !== lastOutside) {
    setLastOutside(value);
    setText(value);
  }
  // The latest `commit` (callers pass a new function on each render; the timer must not restart).
  const latest = useRef(commit);
  useEffect(() => {
    latest.current = commit;
  });
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => latest.current(text), delay);
    return () => clearTimeout(timer);
  }, [text, value, delay]);
  return [text, setText] as const;
}
