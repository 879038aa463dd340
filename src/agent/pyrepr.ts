/** Python `repr` of a list of strings: the reference renders "Historical subtasks" with `str(list)`. */
export function pythonListRepr(items: readonly string[]): string {
  return `[${items.map(pythonStringRepr).join(', ')}]`;
}

/** Python `repr` of a str: single quotes unless the text holds a single quote and no double quote. */
export function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(quote === "'" ? /'/g : /"/g, `\\${quote}`);
  return `${quote}${escaped}${quote}`;
}

const UNESCAPE: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

/**
 * Reads back a list written by {@link pythonListRepr} (the "Historical subtasks" of a prompt), or
 * `undefined` when the text is not such a list. Unknown escapes keep the escaped character.
 */
export function parsePythonStringList(text: string): string[] | undefined {
  const s = text.trim();
  if (!s.startsWith('[') || !s.endsWith(']')) return undefined;
  const items: string[] = [];
  let i = 1;
  const skipSpace = () => {
    while (s[i] === ' ') i++;
  };
  skipSpace();
  if (s[i] === ']') return i === s.length - 1 ? items : undefined;
  for (;;) {
    const quote = s[i];
    if (quote !== "'" && quote !== '"') return undefined;
    let item = '';
    for (i++; i < s.length && s[i] !== quote; i++) {
      if (s[i] === '\\' && i + 1 < s.length) item += UNESCAPE[s[++i]] ?? s[i];
      else item += s[i];
    }
    if (i >= s.length) return undefined;
    items.push(item);
    i++;
    skipSpace();
    if (s[i] === ']') return i === s.length - 1 ? items : undefined;
    if (s[i] !== ',') return undefined;
    i++;
    skipSpace();
  }
}
