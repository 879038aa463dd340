/**
 * The money a labelling job spent on its teacher, from a price the user gives (`--teacher-price
 * <in>,<out>`: money per 1M prompt and completion tokens). There are no per-model defaults: prices
 * change and differ by provider, so without a price only tokens are shown. Pure.
 */

/** Money per 1M prompt (`input`) and completion (`output`) tokens. */
export interface TeacherPrice {
  input: number;
  output: number;
}

/** Parses `--teacher-price <in>,<out>`; throws naming the flag and the expected form. */
export function parseTeacherPrice(text: string): TeacherPrice {
  const parts = text.split(',').map((p) => p.trim());
  const [input, output] = parts.map(Number);
  if (parts.length !== 2 || parts.some((p) => p === '') || !(input >= 0) || !(output >= 0))
    throw new Error(
      `--teacher-price ${JSON.stringify(text)} must be two non-negative numbers, money per 1M prompt and completion tokens, e.g. --teacher-price 0.27,1.10`,
    );
  return { input, output };
}

/** The cost of tokens at a price. */
export function teacherCost(tokens: { promptTokens: number; completionTokens: number }, price: TeacherPrice): number {
  return (tokens.promptTokens * price.input + tokens.completionTokens * price.output) / 1_000_000;
}

/** A cost as the bar and the summary show it: 4 decimals below 1, else 2. */
export function formatCost(cost: number): string {
  return cost < 1 ? cost.toFixed(4) : cost.toFixed(2);
}
