/**
 * Passage of time: one tick per environment step. Stoves heat what is on them, closed fridges
 * cool what is inside. Separate from the command rules because every step ticks, valid or not,
 * and because the waiting in `boil-water` / `chill-juice` depends only on this.
 */
import { BOILING_POINT, COLD_THRESHOLD, isWithin, type WorldObject, type WorldState } from './world';

/** °C a stove adds per tick. */
export const HEAT_PER_TICK = 30;
/** °C a closed fridge removes per tick. */
export const COOL_PER_TICK = 8;
/** Coldest a fridge gets, °C. */
export const FRIDGE_TEMPERATURE = 4;

/** Advances the world by one tick; returns notable events as sentences (may be empty). */
export function tick(s: WorldState): string[] {
  const events: string[] = [];
  for (const dev of s.objects) {
    const inside = (o: WorldObject): boolean => o.id !== dev.id && isWithin(s, o, dev);
    if (dev.heater && dev.on) {
      for (const o of s.objects.filter(inside)) {
        const before = o.temperature;
        o.temperature = Math.min(BOILING_POINT, before + HEAT_PER_TICK);
        if (o.liquid && before < BOILING_POINT && o.temperature >= BOILING_POINT) {
          events.push(`The ${o.liquid} in the ${o.name} is boiling.`);
        }
      }
    }
    if (dev.cooler && dev.container && !dev.container.open) {
      for (const o of s.objects.filter(inside)) {
        const before = o.temperature;
        o.temperature = Math.max(FRIDGE_TEMPERATURE, before - COOL_PER_TICK);
        if (before > COLD_THRESHOLD && o.temperature <= COLD_THRESHOLD) events.push(`The ${o.name} is cold now.`);
      }
    }
  }
  return events;
}
