/**
 * Pins `--help` on the real `step-hrl` bin: the root help lists the subcommands, and
 * `step-hrl <sub> --help` works for every one of them (exit 0, usage of that subcommand on stdout,
 * nothing on stderr). The subcommand list comes from the root help, so a new command is covered
 * without editing this test.
 */
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';

/** Names listed under `Commands:` in the root help (`  name [options] <args>  description`). */
function subcommandsIn(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!);
}

describe('step-hrl --help', () => {
  let rootHelp = '';

  beforeAll(async () => {
    ensureBuilt();
    const result = await runCli(['--help'], cleanEnv(), 30_000);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    rootHelp = result.stdout;
  });

  it('root help shows usage and the known subcommands', () => {
    expect(rootHelp).toMatch(/^Usage: step-hrl \[options\] \[command\]/);
    const names = subcommandsIn(rootHelp);
    for (const name of ['run', 'server', 'worker', 'show', 'export', 'resume']) expect(names).toContain(name);
  });

  it('every subcommand answers --help with its own usage, exit 0', async () => {
    const names = subcommandsIn(rootHelp).filter((n) => n !== 'help');
    expect(names.length).toBeGreaterThan(0);
    // Two at a time: each is a full node start-up, and the machine is shared.
    const failures: string[] = [];
    for (let i = 0; i < names.length; i += 2) {
      await Promise.all(
        names.slice(i, i + 2).map(async (name) => {
          const result = await runCli([name, '--help'], cleanEnv(), 30_000);
          const ok =
            result.code === 0 &&
            result.stderr === '' &&
            new RegExp(`^Usage: step-hrl ${name} `).test(result.stdout) &&
            /-h, --help/.test(result.stdout);
          if (!ok) failures.push(`${name}: exit ${result.code}\n${result.stdout}${result.stderr}`);
        }),
      );
    }
    expect(failures).toEqual([]);
  });

  it('`help <command>` matches `<command> --help`', async () => {
    const [viaHelp, viaFlag] = await Promise.all([
      runCli(['help', 'run'], cleanEnv(), 30_000),
      runCli(['run', '--help'], cleanEnv(), 30_000),
    ]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });
});
