// JSON Pointers (RFC 6901) for paths inside configuration documents.

/** Escape one reference token: `~` → `~0`, `/` → `~1`. */
export function escapeToken(token: string | number): string {
  return String(token).replace(/~/g, "~0").replace(/\//g, "~1");
}

export function unescapeToken(token: string): string {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** The pointer of a child: `child("/a", "b/c")` → `/a/b~1c`. */
export function child(pointer: string, token: string | number): string {
  return `${pointer}/${escapeToken(token)}`;
}

/** The tokens of a pointer (`""` → `[]`). */
export function tokens(pointer: string): string[] {
  return pointer === "" ? [] : pointer.slice(1).split("/").map(unescapeToken);
}

/** The value at a pointer, or undefined. */
export function valueAt(document: unknown, pointer: string): unknown {
  let value: unknown = document;
  for (const token of tokens(pointer)) {
    if (Array.isArray(value)) value = value[Number(token)];
    else if (value !== null && typeof value === "object") value = (value as Record<string, unknown>)[token];
    else return undefined;
  }
  return value;
}
