/**
 * Observation formatting per environment, exactly as the STEP-HRL reference feeds observations to
 * its policies (`process_obs`). Pure: used by workflows to build prompts.
 */
import type { EnvKind, Observation } from './vocabulary';

/**
 * Renders an observation for a prompt.
 * ScienceWorld and the built-in env: `\nObs: <obs>\nLook: <look>\nInventory: <inventory>` (no trailing
 * newline, which is why the low-level template has none before "Local Progress").
 * ALFWorld: `<step feedback> <initial room description>\n`.
 */
export function formatObservation(env: EnvKind, observation: Observation): string {
  if (env === 'alfworld') {
    const room = observation.look ? ` ${observation.look}` : '';
    return `${observation.text}${room}\n`;
  }
  return `\nObs: ${observation.text}\nLook: ${observation.look ?? ''}\nInventory: ${observation.inventory ?? ''}`;
}
