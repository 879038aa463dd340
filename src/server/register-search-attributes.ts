/**
 * Makes sure the embedded dev server knows step-hrl's search attributes. `temporal server start-dev
 * --search-attribute` registers them only when it creates the SQLite file, so a data dir from
 * before they existed (or a server shared with an older step-hrl) gets the missing ones here,
 * through the operator API, and this waits until the frontend accepts queries on them.
 */
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { STEP_HRL_SEARCH_ATTRIBUTES, StepHrlKind } from '../episode/search-attributes';

/** Adds the step-hrl attributes `address`'s namespace lacks; returns their names (empty when none was missing). */
export async function ensureSearchAttributes(
  address: string,
  namespace = 'default',
  timeoutMs = 30_000,
): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(listed.customAttributes ?? {}));
    const missing = STEP_HRL_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
    if (missing.length === 0) return [];
    const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((key) => [key.name, IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]),
      ),
    });
    // The frontend validates attributes against a cache refreshed every few seconds: poll until it knows them.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await connection.workflowService.countWorkflowExecutions({ namespace, query: `${StepHrlKind.name} = 'probe'` });
        return missing.map((key) => key.name);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}
