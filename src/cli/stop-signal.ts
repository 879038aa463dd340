/** Waiting in the foreground until the user stops the process (Ctrl-C or SIGTERM). */

/**
 * Resolves on the first SIGINT or SIGTERM. A pending promise and signal listeners do not keep
 * Node's event loop alive, so a ref'd timer holds the process up until then (without it a
 * foreground command exits as soon as its other handles are unref'd).
 */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => undefined, 60_000);
    const stop = (signal: NodeJS.Signals): void => {
      clearInterval(keepAlive);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
