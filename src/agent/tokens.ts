/**
 * Token counting with a real BPE tokenizer (js-tiktoken, o200k_base), used when a backend does
 * not report usage. Pure and synchronous so prompt-size checks can run anywhere outside workflows.
 */
import { getEncoding, type Tiktoken } from 'js-tiktoken';

let encoder: Tiktoken | undefined;

/** Number of tokens in `text` under the o200k_base encoding. */
export function countTokens(text: string): number {
  encoder ??= getEncoding('o200k_base');
  return encoder.encode(text).length;
}
