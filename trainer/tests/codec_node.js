// Runs the TypeScript payload codec (src/codec) for trainer/tests/test_codec_compat.py: reads
// {"op": "encode" | "decode", "payloads": [{"metadata": {k: base64}, "data": base64}]} on stdin and
// writes the payloads the TypeScript codec returns, in the same shape. Keys come from the environment.
require('ts-node').register({
  transpileOnly: true,
  project: require('path').join(__dirname, '..', '..', 'tsconfig.json'),
});
const { AesGcmCodec } = require('../../src/codec/aes-gcm-codec');
const { loadCodecKeys } = require('../../src/codec/keys');

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const bytes = (text) => new Uint8Array(Buffer.from(text, 'base64'));

let text = '';
process.stdin.on('data', (chunk) => (text += chunk));
process.stdin.on('end', async () => {
  const request = JSON.parse(text);
  const payloads = request.payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, bytes(v)])),
    data: bytes(p.data),
  }));
  const codec = new AesGcmCodec(loadCodecKeys(process.env));
  try {
    const out = request.op === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    const shaped = out.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data ?? new Uint8Array()),
    }));
    process.stdout.write(JSON.stringify({ payloads: shaped }));
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: `${err.name}: ${err.message}` }));
  }
});
