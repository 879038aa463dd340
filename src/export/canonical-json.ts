/**
 * Canonical JSON: the one serialisation export hashes are computed over. Object keys are sorted by
 * UTF-16 code units and no whitespace is written; strings and numbers are written as
 * `JSON.stringify` writes them. For the values an export holds (no floats outside the IEEE range, no
 * `undefined` inside arrays) this is RFC 8785 (JCS), so a verifier in another language can use any
 * JCS library.
 */

/** Serialises `value` canonically; keys whose value is `undefined` are left out, as `JSON.stringify` does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canonicalJson: cannot serialise a ${typeof value}`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}
