import Table from 'cli-table3';

/**
 * The one output emitter of the CLI: human lines (colour only on a TTY without NO_COLOR) or, with
 * `--json`, one JSON object per line on stdout. Call sites never branch on the mode.
 */

/** What commands write through. */
export interface Output {
  /** A human-readable line, or `{type:'log', message}` in JSON mode. */
  line(text: string): void;
  /** A structured event; printed as `text` for humans. */
  event(type: string, data: Record<string, unknown>, text: string): void;
  /** Emphasis (bold) when colour is on. */
  bold(text: string): string;
  dim(text: string): string;
  /** A table that is plain (no colour codes) unless colour is on. */
  table(head: string[]): Table.Table;
}

/** Creates the emitter for the chosen mode. */
export function createOutput(json: boolean): Output {
  const colour = !json && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const wrap = (code: string) => (text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    line: (text) =>
      json ? process.stdout.write(JSON.stringify({ type: 'log', message: text }) + '\n') : console.log(text),
    event: (type, data, text) =>
      json ? process.stdout.write(JSON.stringify({ type, ...data }) + '\n') : console.log(text),
    bold: wrap('1'),
    dim: wrap('2'),
    table: (head) => new Table({ head, ...(colour ? {} : { style: { head: [], border: [] } }) }),
  };
}
