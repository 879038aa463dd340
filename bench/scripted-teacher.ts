/**
 * Serves the scripted teacher (tests/support/scripted-teacher.ts) on a local OpenAI-compatible
 * endpoint until stopped, for full-size labelling runs (`bench/results/datasets.md`):
 *
 *   npx ts-node --transpile-only bench/scripted-teacher.ts [--counts <file>]
 *
 * Prints the base URL on its first line. On SIGINT/SIGTERM it writes the completion requests it
 * answered (the teacher calls paid for) to `--counts` as JSON and exits.
 */
import { writeFileSync } from 'node:fs';
import { MockOpenAiServer } from '../tests/support/mock-openai-server';
import { scriptedTeacher } from '../tests/support/scripted-teacher';

async function main(): Promise<void> {
  const countsAt = process.argv.indexOf('--counts');
  const countsFile = countsAt > 0 ? process.argv[countsAt + 1] : undefined;
  const server = await MockOpenAiServer.start({ responder: scriptedTeacher() });
  console.log(server.baseURL);
  const stop = async () => {
    const completions = server.requests.filter((r) => r.path.endsWith('/completions')).length;
    if (countsFile) writeFileSync(countsFile, JSON.stringify({ requests: server.requestCount, completions }) + '\n');
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

void main();
