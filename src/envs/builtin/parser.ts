/**
 * The command grammar (ScienceWorld/ALFWorld style), text → {@link Command}. Knows words, not the
 * world: object names stay strings here and are resolved by the rules, so that parsing can be
 * tested alone and unknown verbs get one uniform answer.
 */

/** A parsed command; object/room arguments are the raw names the player typed (normalised). */
export type Command =
  | { verb: 'look' }
  | { verb: 'inventory' }
  | { verb: 'wait' }
  | { verb: 'task' }
  | { verb: 'go'; room: string }
  | { verb: 'open' | 'close' | 'examine' | 'activate' | 'deactivate' | 'drop'; target: string }
  | { verb: 'take'; target: string; from?: string }
  | { verb: 'put'; target: string; into: string }
  | { verb: 'use'; tool: string; target: string }
  | { verb: 'unlock'; target: string; key: string };

/** Lower-cases, drops punctuation at the ends, collapses spaces and removes the article `the`. */
export function normalise(input: string): string {
  return input
    .toLowerCase()
    .replace(/[.!?]+$/g, '')
    .split(/\s+/)
    .filter((w) => w !== '' && w !== 'the')
    .join(' ');
}

/** Splits `a <sep> b` at the first separator; both sides must be non-empty. */
function split2(rest: string, seps: string[]): [string, string] | undefined {
  for (const sep of seps) {
    const i = rest.indexOf(` ${sep} `);
    if (i > 0) {
      const a = rest.slice(0, i);
      const b = rest.slice(i + sep.length + 2);
      if (a && b) return [a, b];
    }
  }
  return undefined;
}

const ONE_ARG: Record<string, 'open' | 'close' | 'examine' | 'activate' | 'deactivate' | 'drop'> = {
  open: 'open',
  close: 'close',
  examine: 'examine',
  'look at': 'examine',
  activate: 'activate',
  'turn on': 'activate',
  deactivate: 'deactivate',
  'turn off': 'deactivate',
  drop: 'drop',
};

/** Parses one action; `undefined` means no grammar rule matches (the env answers with feedback). */
export function parseCommand(input: string): Command | undefined {
  const t = normalise(input);
  switch (t) {
    case 'look':
    case 'look around':
      return { verb: 'look' };
    case 'inventory':
    case 'i':
      return { verb: 'inventory' };
    case 'wait':
    case 'wait1':
      return { verb: 'wait' };
    case 'task':
      return { verb: 'task' };
  }
  const go = /^(?:go to|go|move to|enter) (.+)$/.exec(t);
  if (go) return { verb: 'go', room: go[1] as string };
  for (const [phrase, verb] of Object.entries(ONE_ARG)) {
    if (t.startsWith(`${phrase} `)) return { verb, target: t.slice(phrase.length + 1) };
  }
  const take = /^(?:take|pick up|get) (.+)$/.exec(t);
  if (take) {
    const parts = split2(take[1] as string, ['from']);
    return parts ? { verb: 'take', target: parts[0], from: parts[1] } : { verb: 'take', target: take[1] as string };
  }
  const put = /^(?:put|place|move) (.+)$/.exec(t);
  if (put) {
    const parts = split2(put[1] as string, ['in', 'into', 'on', 'onto', 'to']);
    if (parts) return { verb: 'put', target: parts[0], into: parts[1] };
  }
  const use = /^use (.+)$/.exec(t);
  if (use) {
    const parts = split2(use[1] as string, ['on', 'with']);
    if (parts) return { verb: 'use', tool: parts[0], target: parts[1] };
  }
  const unlock = /^unlock (.+)$/.exec(t);
  if (unlock) {
    const parts = split2(unlock[1] as string, ['with']);
    if (parts) return { verb: 'unlock', target: parts[0], key: parts[1] };
  }
  return undefined;
}
