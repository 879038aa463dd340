/** Moved to the pure core (`src/agent/json.ts`); re-exported here for code that still imports this path. */
export { extractFirstJsonObject } from '../agent/json';
