/**
 * Encryption keys of the payload codec, read from the environment. Error messages name the
 * variable and the fix, never a key's value.
 */

/** Id + key (32 bytes) of the key that encrypts new payloads. */
export const KEY_ID_VAR = 'STEP_HRL_CODEC_KEY_ID';
/** Base64 of the 32-byte AES-256 key that encrypts new payloads. */
export const KEY_VAR = 'STEP_HRL_CODEC_KEY';
/** Older keys that still decrypt: `id1:base64,id2:base64` (rotation by id). */
export const OLD_KEYS_VAR = 'STEP_HRL_CODEC_KEYS';

/** How to make a key, quoted in every error about one. */
export const KEY_FIX = 'make one with `openssl rand -base64 32`';

const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The keys a codec works with. */
export interface CodecKeys {
  /** Encrypts new payloads; absent = new payloads stay plain (only when no key is configured). */
  current?: { id: string; key: Buffer };
  /** Every key that decrypts, by id (the current one included). */
  byId: ReadonlyMap<string, Buffer>;
}

/** A key variable that is malformed or inconsistent. */
export class CodecKeyConfigError extends Error {
  override name = 'CodecKeyConfigError';
}

/**
 * Reads the keys from `env`. No variable set = no keys (the codec is off: payloads stay plain,
 * and an encrypted payload met later is reported with the key id to configure).
 * @throws CodecKeyConfigError naming the variable and the fix when a key is malformed or a
 *   variable is set without its partner.
 */
export function loadCodecKeys(env: NodeJS.ProcessEnv = process.env): CodecKeys {
  const id = env[KEY_ID_VAR]?.trim() || undefined;
  const keyText = env[KEY_VAR]?.trim() || undefined;
  const byId = new Map<string, Buffer>(parseOldKeys(env[OLD_KEYS_VAR]));
  if (!id && !keyText) {
    if (byId.size > 0)
      throw new CodecKeyConfigError(
        `${OLD_KEYS_VAR} lists keys to decrypt with, but no key encrypts new payloads; set ${KEY_ID_VAR} and ` +
          `${KEY_VAR} too (${KEY_FIX})`,
      );
    return { byId };
  }
  if (!id) throw new CodecKeyConfigError(`${KEY_VAR} is set without ${KEY_ID_VAR}; set ${KEY_ID_VAR} to a short id`);
  if (!keyText)
    throw new CodecKeyConfigError(`${KEY_ID_VAR} is set without ${KEY_VAR}; set ${KEY_VAR} to a key (${KEY_FIX})`);
  checkId(id, KEY_ID_VAR);
  const key = parseKey(keyText, KEY_VAR);
  const listed = byId.get(id);
  if (listed && !listed.equals(key))
    throw new CodecKeyConfigError(
      `${OLD_KEYS_VAR} lists key id ${JSON.stringify(id)} with a different key than ${KEY_VAR}; ` +
        `give each key its own id (rotate to a new ${KEY_ID_VAR})`,
    );
  byId.set(id, key);
  return { current: { id, key }, byId };
}

function parseOldKeys(text: string | undefined): [string, Buffer][] {
  const entries = (text ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  return entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const where = `${OLD_KEYS_VAR} entry ${index + 1}`;
    if (colon < 0) throw new CodecKeyConfigError(`${where} is not \`<key id>:<base64 key>\`; write id1:key1,id2:key2`);
    const id = entry.slice(0, colon).trim();
    checkId(id, where);
    return [id, parseKey(entry.slice(colon + 1).trim(), `${where} (key id ${JSON.stringify(id)})`)];
  });
}

function checkId(id: string, where: string): void {
  if (!KEY_ID.test(id))
    throw new CodecKeyConfigError(
      `${where}: key id ${JSON.stringify(id)} is not valid; use 1-64 letters, digits, '.', '_' or '-'`,
    );
}

/** A base64 key of exactly 32 bytes; the message never repeats the value. */
function parseKey(text: string, where: string): Buffer {
  if (!BASE64.test(text) || text.length % 4 !== 0) throw new CodecKeyConfigError(`${where} is not base64; ${KEY_FIX}`);
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES)
    throw new CodecKeyConfigError(
      `${where} is ${key.length} bytes, AES-256 needs ${KEY_BYTES} bytes (44 base64 characters); ${KEY_FIX}`,
    );
  return key;
}
