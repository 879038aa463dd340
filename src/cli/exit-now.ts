/** The error after which a command exits at once (kept apart from `program.ts`, which loads commander). */

/**
 * Ends a command with exit code `code` as soon as it has closed what it opened, without waiting for
 * work it leaves behind (an in-process worker that cannot reach Temporal, an episode left open by
 * Ctrl-C): printed as one `Error:` line when it has a message.
 */
export class ExitNow extends Error {
  override name = 'ExitNow';
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
  }
}
