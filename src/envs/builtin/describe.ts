/**
 * Text rendering of the world (room description, inventory, examine). Separate from the world
 * model so wording can change without touching rules; every text is bounded by the (fixed)
 * number of objects, so observations never grow with the episode's length.
 */
import {
  AMBIENT_TEMPERATURE,
  BOILING_POINT,
  contentsOf,
  doorName,
  doorsOf,
  INVENTORY,
  isAccessible,
  room,
  type WorldObject,
  type WorldState,
} from './world';

/** Short state notes for one object, e.g. `closed`, `on`, `containing water at 50°C`. */
function notes(o: WorldObject): string[] {
  const out: string[] = [];
  if (o.container?.openable) out.push(o.container.open ? 'open' : 'closed');
  if (o.on !== undefined) out.push(o.on ? 'turned on' : 'turned off');
  if (o.holdsLiquid) {
    if (o.liquid === undefined) out.push('empty');
    else if (o.temperature >= BOILING_POINT) out.push(`containing boiling ${o.liquid}`);
    else out.push(`containing ${o.liquid} at ${o.temperature}°C`);
  } else if (o.portable && o.temperature !== AMBIENT_TEMPERATURE) {
    out.push(`${o.temperature}°C`);
  }
  if (o.dirty) out.push('dirty');
  if (o.plant) out.push(o.watered ? 'watered' : 'dry soil');
  return out;
}

/** `a pot (containing water at 20°C)`, followed by the visible contents of containers. */
export function describeObject(s: WorldState, o: WorldObject): string {
  const n = notes(o);
  let text = `${o.article} ${o.name}${n.length > 0 ? ` (${n.join(', ')})` : ''}`;
  const inner = contentsOf(s, o.id).map((c) => describeObject(s, c));
  // A pot's liquid is already in its notes; "in which is: nothing" would only add noise.
  if (o.container && isAccessible(o) && !(o.holdsLiquid && inner.length === 0)) {
    const which = o.container.prep === 'in' ? 'in which is' : 'on which is';
    text += `, ${which}: ${inner.length > 0 ? inner.join(', ') : 'nothing'}`;
  }
  return text;
}

/** The current room in ScienceWorld style: name, objects, then doors. */
export function describeRoom(s: WorldState): string {
  const r = room(s, s.agentRoom);
  const things = contentsOf(s, r.id).map((o) => `\t${describeObject(s, o)}`);
  const doors = doorsOf(s).map((d) => `\ta door to the ${doorName(s, d).slice('door to '.length)} (${doorState(d)})`);
  return [
    `This room is called the ${r.name}. In it, you see:`,
    ...(things.length > 0 ? things : ['\tnothing of interest']),
    'You also see:',
    ...doors,
  ].join('\n');
}

function doorState(d: { open: boolean; locked: boolean }): string {
  if (d.open) return 'open';
  return d.locked ? 'closed, locked' : 'closed';
}

/** The inventory in ScienceWorld style. */
export function describeInventory(s: WorldState): string {
  const items = contentsOf(s, INVENTORY).map((o) => `\t${describeObject(s, o)}`);
  return ['In your inventory, you see:', ...(items.length > 0 ? items : ['\tnothing'])].join('\n');
}

/** The answer to `examine <x>`. */
export function examineText(s: WorldState, o: WorldObject): string {
  const extra: string[] = [];
  if (o.keyFor) extra.push('It looks like it fits a lock.');
  if (o.waterSource) extra.push('You can use it on a container to fill it, or on something dirty to rinse it.');
  if (o.heater) extra.push('Things put on it heat up while it is turned on.');
  if (o.cooler) extra.push('Things inside it cool down while it is closed.');
  return [`You see ${describeObject(s, o)}.`, ...extra].join(' ');
}
