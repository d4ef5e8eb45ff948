import { useEffect, useState } from "react";

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
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => commit(text), delay);
    return () => clearTimeout(timer);
    // `commit` may be a new function on each render; the text is what matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text, value, delay]);
  return [text, setText] as const;
}
