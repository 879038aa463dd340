/**
 * The failure converter of an encrypting data converter: failure messages and stack traces (agent
 * actions, provider error bodies) go into the failure's `encodedAttributes` payload, which the
 * payload codec then encrypts, instead of staying plain text in the history.
 *
 * Loaded by path (`failureConverterPath`) by clients and workers, and bundled into the workflow
 * code, where workflow failures are converted: so it imports only `@temporalio/common`.
 */
import { DefaultFailureConverter } from '@temporalio/common';

/** The SDK's default converter with `encodeCommonAttributes` on (the export name the SDK requires). */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
