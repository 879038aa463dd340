/**
 * {@link action} for the commands with a `--json` flag: the command's output (text or JSON lines,
 * as the flag selects) is made once here and handed to the action before its own arguments.
 */
import { createOutput, type Output } from './output';
import { action } from './program';

/** Wraps `fn` as {@link action} does, giving it the output `--json` selects (commander passes the flags second to last). */
export function outputAction<A extends unknown[]>(
  fn: (out: Output, ...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return action(async (...args: A) => {
    const flags = args[args.length - 2] as { json?: boolean } | undefined;
    await fn(createOutput(Boolean(flags?.json)), ...args);
  });
}
