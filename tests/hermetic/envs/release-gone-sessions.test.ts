/**
 * `releaseGoneSessions` asks the shared env server (`STEP_HRL_ENV_URL`) to close each gone owner's
 * sessions once, and never fails the recovery that calls it: no shared server, one that is down or
 * one too old to know the route all count as nothing released.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { releaseGoneSessions } from '../../../src/envs/env-server';

/** A stand-in env server that records `/sessions/release` bodies and answers per owner. */
async function fakeServer(
  released: Record<string, number>,
): Promise<{ url: string; owners: string[]; server: Server }> {
  const owners: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/sessions/release') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no route"}');
        return;
      }
      const { owner } = JSON.parse(body) as { owner: string };
      owners.push(owner);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ released: released[owner] ?? 0 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, owners, server };
}

test('each gone owner is released once on the shared server, and the counts add up', async () => {
  const fake = await fakeServer({ a: 2, b: 1 });
  try {
    const released = await releaseGoneSessions(['a', 'b', 'a', 'c'], { STEP_HRL_ENV_URL: fake.url });
    expect(released).toBe(3);
    expect(fake.owners).toEqual(['a', 'b', 'c']);
  } finally {
    fake.server.close();
  }
});

test('no shared env server, none gone, a server down or without the route: nothing released, no error', async () => {
  const fake = await fakeServer({});
  try {
    expect(await releaseGoneSessions(['a'], {})).toBe(0);
    expect(await releaseGoneSessions([], { STEP_HRL_ENV_URL: fake.url })).toBe(0);
    expect(fake.owners).toEqual([]);
  } finally {
    fake.server.close();
  }
  // The port is closed now: a refused connection.
  expect(await releaseGoneSessions(['a'], { STEP_HRL_ENV_URL: fake.url })).toBe(0);
  const old = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(old.address() as AddressInfo).port}`;
    expect(await releaseGoneSessions(['a'], { STEP_HRL_ENV_URL: url })).toBe(0);
  } finally {
    old.close();
  }
});
