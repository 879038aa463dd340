/**
 * The codec server on a shared machine (issue 20 item 5): without the bearer token a request gets
 * 401, naming another host (DNS rebinding) or coming from a foreign web page (Origin) 403; the
 * right token, Host and Origin decode. A CORS preflight from the UI's origin passes without the
 * token (browsers never send one); the Web UI's form of the token is a path prefix.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  AesGcmCodec,
  CodecServerConfigError,
  loadCodecKeys,
  startCodecServer,
  TOKEN_PATH_PREFIX,
  type RunningCodecServer,
} from '../../../src/codec';
import { payloadsToJson } from '../../../src/codec/payload-json';

const TOKEN = randomBytes(32).toString('hex');
const UI = 'http://localhost:8233';
const SECRET = 'the gem is in the chest in the study';
const codec = new AesGcmCodec(
  loadCodecKeys({ STEP_HRL_CODEC_KEY_ID: 'srv', STEP_HRL_CODEC_KEY: randomBytes(32).toString('base64') }),
);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request: `fetch` will not send a Host header of our choosing. */
function call(
  server: RunningCodecServer,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<Answer> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/decode',
        headers: { Host: url.host, 'Content-Type': 'application/json', ...options.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.once('error', reject);
    req.end(options.body);
  });
}

let server: RunningCodecServer;
let sealedBody: string;

beforeAll(async () => {
  server = await startCodecServer({ codec, port: 0, corsOrigins: [UI], token: TOKEN });
  sealedBody = JSON.stringify(payloadsToJson(await codec.encode([defaultPayloadConverter.toPayload(SECRET)])));
});
afterAll(() => server?.close());

const bearer = (token = TOKEN) => ({ Authorization: `Bearer ${token}` });
const decodedText = (answer: Answer): string =>
  (JSON.parse(answer.body) as { payloads: { data: string }[] }).payloads
    .map((p) => Buffer.from(p.data, 'base64').toString('utf8'))
    .join('\n');

test('no token or a wrong one: 401, and nothing decrypted', async () => {
  const none = await call(server, { body: sealedBody });
  expect(none.status).toBe(401);
  expect(none.headers['www-authenticate']).toBe('Bearer');
  expect(none.body).not.toContain(SECRET);
  expect(none.body).toMatch(/STEP_HRL_CODEC_SERVER_TOKEN/);
  expect(none.body).not.toContain(TOKEN);

  for (const headers of [
    bearer(randomBytes(32).toString('hex')),
    bearer(TOKEN.slice(0, -1)),
    { Authorization: TOKEN },
  ]) {
    const wrong = await call(server, { headers, body: sealedBody });
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain(SECRET);
  }
  // encode needs the token too (the UI encodes what it sends)
  expect((await call(server, { path: '/encode', body: sealedBody })).status).toBe(401);
  const wrongInPath = await call(server, { path: `${TOKEN_PATH_PREFIX}${TOKEN.slice(1)}/decode`, body: sealedBody });
  expect(wrongInPath.status).toBe(401);
});

test('a foreign Host (DNS rebinding) or Origin gets 403 even with the token', async () => {
  const port = new URL(server.url).port;
  for (const host of [`evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, '127.0.0.1', `10.0.0.1:${port}`]) {
    const answer = await call(server, { headers: { ...bearer(), Host: host }, body: sealedBody });
    expect({ host, status: answer.status }).toEqual({ host, status: 403 });
    expect(answer.body).not.toContain(SECRET);
  }
  for (const origin of ['https://evil.example', 'http://localhost:8234', 'null']) {
    const answer = await call(server, { headers: { ...bearer(), Origin: origin }, body: sealedBody });
    expect({ origin, status: answer.status }).toEqual({ origin, status: 403 });
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(answer.body).not.toContain(SECRET);
  }
  const foreignPreflight = await call(server, {
    method: 'OPTIONS',
    headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
  });
  expect(foreignPreflight.status).toBe(403);
});

test('the right token, Host and Origin decode; loopback names of a loopback listener are its own', async () => {
  const port = new URL(server.url).port;
  const plain = await call(server, { headers: bearer(), body: sealedBody }); // the Temporal CLI: no Origin
  expect(plain.status).toBe(200);
  expect(decodedText(plain)).toContain(SECRET);

  for (const host of [`localhost:${port}`, `[::1]:${port}`]) {
    const answer = await call(server, { headers: { ...bearer(), Host: host }, body: sealedBody });
    expect({ host, status: answer.status }).toEqual({ host, status: 200 });
  }

  const fromUi = await call(server, {
    path: '/default/decode', // the namespace prefix the UI and CLI may add
    headers: { ...bearer(), Origin: UI, 'X-Namespace': 'default' },
    body: sealedBody,
  });
  expect(fromUi.status).toBe(200);
  expect(fromUi.headers['access-control-allow-origin']).toBe(UI);
  expect(decodedText(fromUi)).toContain(SECRET);

  // The Web UI's form: the token as the endpoint's path prefix (it cannot set the header itself).
  const inPath = await call(server, {
    path: `${TOKEN_PATH_PREFIX}${TOKEN}/decode`,
    headers: { Origin: UI, 'X-Namespace': 'default' },
    body: sealedBody,
  });
  expect(inPath.status).toBe(200);
  expect(decodedText(inPath)).toContain(SECRET);
});

test("a CORS preflight from the UI's origin passes without the token and allows the Authorization header", async () => {
  const preflight = await call(server, {
    method: 'OPTIONS',
    headers: {
      Origin: UI,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,content-type,x-namespace',
    },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers['access-control-allow-origin']).toBe(UI);
  expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);
  expect(preflight.headers['access-control-allow-headers']).toMatch(/X-Namespace/);
});

test('no token refuses to start unless insecureNoAuth; a short token is refused; without auth, Host is still checked', async () => {
  await expect(startCodecServer({ codec, port: 0 })).rejects.toThrow(CodecServerConfigError);
  await expect(startCodecServer({ codec, port: 0 })).rejects.toThrow(
    /needs a bearer token: set STEP_HRL_CODEC_SERVER_TOKEN .*--token-file .*--insecure-no-auth/,
  );
  await expect(startCodecServer({ codec, port: 0, token: 'short' })).rejects.toThrow(/at least 16 characters/);

  const open = await startCodecServer({ codec, port: 0, insecureNoAuth: true });
  try {
    expect((await call(open, { body: sealedBody })).status).toBe(200);
    expect((await call(open, { headers: { Host: 'evil.example' }, body: sealedBody })).status).toBe(403);
    expect((await call(open, { headers: { Origin: UI }, body: sealedBody })).status).toBe(403); // no --cors-origin
  } finally {
    await open.close();
  }
});
