/**
 * Building blocks for expert (gold) plans: walk to a room, fetch an item, put it somewhere.
 * Plans read the live state after every action instead of assuming a layout, so they stay
 * correct for every variation (closed doors, closed containers, different start rooms).
 */
import { doorName, doorsOf, INVENTORY, isRoom, obj, otherSide, room, roomOf, type WorldState } from './world';

/** A simulated player a plan drives: the current state, and one action at a time. */
export interface Actor {
  state(): WorldState;
  run(action: string): void;
}

/** Shortest room path from `from` to `to` through doors that are not locked (BFS, world order). */
export function roomPath(s: WorldState, from: string, to: string): string[] {
  const prev = new Map<string, string>([[from, from]]);
  const queue = [from];
  while (queue.length > 0) {
    const cur = queue.shift() as string;
    if (cur === to) break;
    for (const d of doorsOf(s, cur)) {
      const next = otherSide(d, cur);
      if (!d.locked && !prev.has(next)) {
        prev.set(next, cur);
        queue.push(next);
      }
    }
  }
  if (!prev.has(to)) throw new Error(`builtin planner: no unlocked path from '${from}' to '${to}'`);
  const path: string[] = [];
  for (let at = to; at !== from; at = prev.get(at) as string) path.unshift(at);
  return path;
}

/** Walks to `roomId`, opening closed doors on the way. */
export function walkTo(a: Actor, roomId: string): void {
  for (const next of roomPath(a.state(), a.state().agentRoom, roomId)) {
    const s = a.state();
    const d = doorsOf(s).find((x) => otherSide(x, s.agentRoom) === next);
    if (d && !d.open) a.run(`open ${doorName(s, d)}`);
    a.run(`go to ${room(s, next).name}`);
  }
}

/** Walks to the item, opens whatever closed containers hide it (outermost first) and takes it. */
export function fetch(a: Actor, itemId: string): void {
  const where = roomOf(a.state(), obj(a.state(), itemId));
  if (where === INVENTORY) return;
  walkTo(a, where);
  const chain: string[] = [];
  for (let loc = obj(a.state(), itemId).location; !isRoom(a.state(), loc); loc = obj(a.state(), loc).location) {
    chain.unshift(loc);
  }
  for (const id of chain) {
    const c = obj(a.state(), id);
    if (c.container?.openable && !c.container.open) a.run(`open ${c.name}`);
  }
  a.run(`take ${obj(a.state(), itemId).name}`);
}

/** Walks to a fixed container, opens it if needed and puts the carried item in (or on) it. */
export function putInto(a: Actor, itemId: string, containerId: string): void {
  const c = obj(a.state(), containerId);
  walkTo(a, roomOf(a.state(), c));
  if (c.container?.openable && !obj(a.state(), containerId).container?.open) a.run(`open ${c.name}`);
  a.run(`put ${obj(a.state(), itemId).name} ${c.container?.prep ?? 'in'} ${c.name}`);
}

/** Waits until `cond` holds; bounded so that a broken plan fails loudly instead of looping. */
export function waitUntil(a: Actor, cond: (s: WorldState) => boolean, max = 20): void {
  for (let i = 0; i < max && !cond(a.state()); i++) a.run('wait');
}

/** `the cupboard in the kitchen` / `the counter in the kitchen`: where an item is, for subtask names. */
export function placePhrase(s: WorldState, itemId: string): string {
  const loc = obj(s, itemId).location;
  if (isRoom(s, loc)) return `in the ${room(s, loc).name}`;
  const c = obj(s, loc);
  return `${c.container?.prep ?? 'in'} the ${c.name} in the ${room(s, roomOf(s, c)).name}`;
}
