/**
 * Admissible actions for the current state. Candidates come from templates over what is in
 * reach; each stateful candidate is tried on a copy of the state with the real rules, so the
 * list can never disagree with what `step` accepts. Sorted for determinism.
 */
import { parseCommand } from './parser';
import { execute } from './rules';
import { cloneState, doorName, doorsOf, isCarried, otherSide, reachable, room, type WorldState } from './world';

/** Always admissible and side-effect free; listed without a trial run. */
const ALWAYS = ['inventory', 'look', 'task', 'wait'];

function candidates(s: WorldState): string[] {
  const objs = reachable(s);
  const doors = doorsOf(s).map((d) => doorName(s, d));
  const names = [...objs.map((o) => o.name), ...doors];
  const out: string[] = [];
  for (const n of names) out.push(`examine ${n}`, `open ${n}`, `close ${n}`);
  for (const d of doorsOf(s)) out.push(`go to ${room(s, otherSide(d, s.agentRoom)).name}`);
  for (const o of objs) {
    if (o.portable && !isCarried(s, o)) {
      out.push(`take ${o.name}`);
      const holder = objs.find((c) => c.id === o.location);
      if (holder) out.push(`take ${o.name} from ${holder.name}`);
    }
    if (o.on !== undefined) out.push(`activate ${o.name}`, `deactivate ${o.name}`);
  }
  const carried = objs.filter((o) => isCarried(s, o));
  for (const o of carried) {
    out.push(`drop ${o.name}`);
    for (const c of objs) if (c.container && c.id !== o.id) out.push(`put ${o.name} ${c.container.prep} ${c.name}`);
    for (const d of doors) out.push(`unlock ${d} with ${o.name}`);
  }
  // `use` only makes sense with a tool: a water source or something holding a liquid.
  for (const tool of objs.filter((o) => o.waterSource || o.holdsLiquid)) {
    for (const t of objs) if (t.id !== tool.id) out.push(`use ${tool.name} on ${t.name}`);
  }
  return out;
}

/** The sorted, de-duplicated list of actions `step` would accept in state `s`. */
export function validActions(s: WorldState): string[] {
  const ok = new Set(ALWAYS);
  for (const a of candidates(s)) {
    if (ok.has(a)) continue;
    const cmd = parseCommand(a);
    if (cmd && execute(cloneState(s), cmd, '').ok) ok.add(a);
  }
  return [...ok].sort();
}
