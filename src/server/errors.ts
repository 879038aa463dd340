/**
 * Errors raised while provisioning or reaching Temporal. Each message names the input and the fix,
 * and is meant to be printed as a single line by the CLI.
 */

/** Base class so the CLI can print these without a stack trace; each is named after its class. */
export class SetupError extends Error {
  constructor(message?: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The Temporal CLI is not installed, or installed but does not run. Fix: `npm run setup` (or `fix`). */
export class ToolsMissingError extends SetupError {
  constructor(
    readonly binaryPath: string,
    cause: string,
    fix = 'run `npm run setup` to (re)install it',
  ) {
    super(`Temporal CLI at ${binaryPath} ${cause}; ${fix}`);
  }
}

/** The port the dev server should bind is taken by another process. */
export class PortInUseError extends SetupError {
  constructor(readonly port: number) {
    super(
      `port ${port} on 127.0.0.1 is already in use; pass --port <free port> (or STEP_HRL_TEMPORAL_PORT), ` +
        `stop the process using it, or set TEMPORAL_ADDRESS=127.0.0.1:${port} to use that server`,
    );
  }
}

/** The data dir cannot be created or written. */
export class DataDirError extends SetupError {
  constructor(
    readonly dataDir: string,
    cause: string,
  ) {
    super(`data dir ${dataDir} is not writable (${cause}); pass --data-dir <writable folder> or set STEP_HRL_DATA_DIR`);
  }
}

/** A configured Temporal cluster (a flag, a TEMPORAL_* variable or the envconfig profile file) does not answer. */
export class TemporalUnreachableError extends SetupError {
  /** @param because what selected the cluster: `--address`, a variable's name, or `the profile file <path>`. */
  constructor(
    readonly address: string,
    cause: string,
    because = 'TEMPORAL_ADDRESS',
  ) {
    const undo = because.startsWith('--')
      ? `drop ${because}`
      : because.startsWith('TEMPORAL_')
        ? `unset ${because}`
        : `move ${because.replace(/^the profile file /, '')} away`;
    super(
      `Temporal at ${address} (from ${because}) is unreachable: ${cause}; ` +
        `start that server, fix the address, or ${undo} to use the embedded dev server`,
    );
  }
}

/** The dev server process started but never became healthy. */
export class DevServerStartError extends SetupError {}

/** The cluster does not know step-hrl's search attributes, so nothing can be started with them. */
export class SearchAttributesMissingError extends SetupError {
  constructor(
    readonly namespace: string,
    cause: string,
  ) {
    super(
      `the Temporal cluster does not know step-hrl's search attributes in namespace ${namespace} (${cause}); ` +
        'register them once with `temporal operator search-attribute create --name StepHrlStatus --type Keyword` ' +
        'and the same for each of the others (all 14 commands are in docs/search-attributes.md)',
    );
  }
}

/**
 * Turns the server's refusal of unregistered search attributes into {@link SearchAttributesMissingError};
 * returns other errors unchanged.
 */
export function explainSearchAttributeError(err: unknown, namespace: string): unknown {
  // The client wraps the server's gRPC error ("Failed to start Workflow"); its text is in a cause.
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const line = e.message.split('\n')[0]!;
    if (/search attribute/i.test(line) && /StepHrl/.test(line))
      return new SearchAttributesMissingError(namespace, line);
  }
  return err;
}
