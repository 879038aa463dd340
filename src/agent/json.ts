/**
 * Finds the first JSON object in free model text, for servers that cannot constrain output with
 * `response_format: json_schema` (older llama.cpp, Ollama, some proxies). Pure, no dependencies.
 */

/**
 * Returns the source text of the first balanced `{...}` span in `text` that parses as a JSON
 * object, or `undefined` when there is none. Prose, code fences and trailing chatter around the
 * object are ignored; braces inside JSON strings are handled.
 *
 * @example
 * extractFirstJsonObject('Sure! ```json\n{"action": "open door"}\n```'); // '{"action": "open door"}'
 */
export function extractFirstJsonObject(text: string): string | undefined {
  for (let start = text.indexOf('{'); start !== -1; start = text.indexOf('{', start + 1)) {
    const end = matchingBrace(text, start);
    if (end === -1) continue;
    const candidate = text.slice(start, end + 1);
    try {
      const value: unknown = JSON.parse(candidate);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return candidate;
    } catch {
      // Not JSON (e.g. a brace in prose); try the next opening brace.
    }
  }
  return undefined;
}

/** Index of the `}` closing the `{` at `start`, skipping string contents; -1 if unbalanced. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}
