/**
 * What each command does to the world. `execute` mutates the state it is given and reports
 * whether the command was admissible; it never throws on player input, so every string an agent
 * sends becomes feedback. Time (heating, cooling) is in physics.ts, applied by the env after this.
 */
import { describeInventory, describeRoom, examineText } from './describe';
import type { Command } from './parser';
import {
  AMBIENT_TEMPERATURE,
  doorName,
  doorsOf,
  INVENTORY,
  isAccessible,
  isCarried,
  isWithin,
  otherSide,
  reachable,
  type Door,
  type WorldObject,
  type WorldState,
} from './world';

/** Outcome of one command: `ok` is false when nothing changed because the command was inadmissible. */
export interface Outcome {
  ok: boolean;
  feedback: string;
}

/** The ScienceWorld/ALFWorld wording for input no grammar rule matches. */
export const UNKNOWN_ACTION = 'No known action matches that input.';

type Target = { kind: 'object'; o: WorldObject } | { kind: 'door'; d: Door };

const fail = (feedback: string): Outcome => ({ ok: false, feedback });
const done = (feedback: string): Outcome => ({ ok: true, feedback });

/** Finds a reachable object or a door of the current room by its typed name. */
function resolve(s: WorldState, name: string): Target | undefined {
  const o = reachable(s).find((x) => x.name === name);
  if (o) return { kind: 'object', o };
  const d = doorsOf(s).find((x) => doorName(s, x) === name);
  return d ? { kind: 'door', d } : undefined;
}

const notHere = (name: string): Outcome => fail(`No known object called '${name}' is here.`);

/** Applies `cmd` to `s` (mutating it). `taskDescription` answers the `task` command. */
export function execute(s: WorldState, cmd: Command, taskDescription: string): Outcome {
  switch (cmd.verb) {
    case 'look':
      return done(describeRoom(s));
    case 'inventory':
      return done(describeInventory(s));
    case 'wait':
      return done('You wait.');
    case 'task':
      return done(taskDescription);
    case 'go':
      return go(s, cmd.room);
    case 'examine': {
      const t = resolve(s, cmd.target);
      if (!t) return notHere(cmd.target);
      if (t.kind === 'door')
        return done(
          `You see a ${doorName(s, t.d)}. It is ${t.d.open ? 'open' : t.d.locked ? 'closed and locked' : 'closed'}.`,
        );
      return done(examineText(s, t.o));
    }
    case 'open':
    case 'close':
      return openClose(s, cmd.target, cmd.verb === 'open');
    case 'take':
      return take(s, cmd.target, cmd.from);
    case 'put':
      return put(s, cmd.target, cmd.into);
    case 'drop': {
      const t = resolve(s, cmd.target);
      if (!t) return notHere(cmd.target);
      if (t.kind === 'door' || t.o.location !== INVENTORY) return fail(`You are not carrying the ${cmd.target}.`);
      t.o.location = s.agentRoom;
      return done(`You drop the ${t.o.name}.`);
    }
    case 'activate':
    case 'deactivate': {
      const t = resolve(s, cmd.target);
      if (!t) return notHere(cmd.target);
      const on = cmd.verb === 'activate';
      if (t.kind === 'door' || t.o.on === undefined) return fail(`The ${cmd.target} cannot be turned on or off.`);
      if (t.o.on === on) return fail(`The ${t.o.name} is already ${on ? 'on' : 'off'}.`);
      t.o.on = on;
      return done(`The ${t.o.name} is now ${on ? 'on' : 'off'}.`);
    }
    case 'use':
      return use(s, cmd.tool, cmd.target);
    case 'unlock':
      return unlock(s, cmd.target, cmd.key);
  }
}

function go(s: WorldState, name: string): Outcome {
  const target = s.rooms.find((r) => r.name === name);
  if (!target) return fail(`No known room called '${name}'.`);
  if (target.id === s.agentRoom) return fail(`You are already in the ${target.name}.`);
  const d = doorsOf(s).find((x) => otherSide(x, s.agentRoom) === target.id);
  if (!d) return fail(`It's not clear how to get to the ${target.name} from here.`);
  if (!d.open) return fail(`The door to the ${target.name} is closed.`);
  s.agentRoom = target.id;
  return done(`You move to the ${target.name}.`);
}

function openClose(s: WorldState, name: string, open: boolean): Outcome {
  const t = resolve(s, name);
  if (!t) return notHere(name);
  const verb = open ? 'open' : 'closed';
  if (t.kind === 'door') {
    if (t.d.open === open) return fail(`The ${name} is already ${verb}.`);
    if (open && t.d.locked) return fail(`The ${name} is locked.`);
    t.d.open = open;
    return done(`The ${name} is now ${verb}.`);
  }
  const c = t.o.container;
  if (!c?.openable) return fail(`The ${name} can't be ${open ? 'opened' : 'closed'}.`);
  if (c.open === open) return fail(`The ${name} is already ${verb}.`);
  c.open = open;
  return done(`The ${name} is now ${verb}.`);
}

function take(s: WorldState, name: string, from: string | undefined): Outcome {
  const t = resolve(s, name);
  if (!t) return notHere(name);
  if (t.kind === 'door' || !t.o.portable) return fail(`You can't pick up the ${name}.`);
  if (t.o.location === INVENTORY) return fail(`You already have the ${name}.`);
  if (from !== undefined) {
    const f = resolve(s, from);
    if (!f) return notHere(from);
    if (f.kind === 'door' || t.o.location !== f.o.id)
      return fail(
        `The ${name} is not ${f.kind === 'object' ? `${f.o.container?.prep ?? 'in'} the ${from}` : `in the ${from}`}.`,
      );
  }
  t.o.location = INVENTORY;
  return done(`You take the ${name}.`);
}

function put(s: WorldState, name: string, into: string): Outcome {
  const t = resolve(s, name);
  if (!t) return notHere(name);
  const dest = resolve(s, into);
  if (!dest) return notHere(into);
  if (t.kind === 'door' || !isCarried(s, t.o)) return fail(`You are not carrying the ${name}.`);
  if (dest.kind === 'door' || !dest.o.container)
    return fail(`You can't put things ${dest.kind === 'object' ? 'on' : 'in'} the ${into}.`);
  if (!isAccessible(dest.o)) return fail(`The ${into} is closed.`);
  if (isWithin(s, dest.o, t.o)) return fail(`You can't put the ${name} inside itself.`);
  t.o.location = dest.o.id;
  return done(`You put the ${name} ${dest.o.container.prep} the ${into}.`);
}

function use(s: WorldState, toolName: string, targetName: string): Outcome {
  const tool = resolve(s, toolName);
  if (!tool) return notHere(toolName);
  const target = resolve(s, targetName);
  if (!target) return notHere(targetName);
  if (tool.kind === 'object' && tool.o.keyFor !== undefined) return unlock(s, targetName, toolName);
  if (tool.kind === 'door' || target.kind === 'door') return fail('Nothing happens.');
  const [a, b] = [tool.o, target.o];
  if (a.waterSource) {
    if (b.holdsLiquid) {
      if (b.liquid) return fail(`The ${b.name} is already full of ${b.liquid}.`);
      b.liquid = 'water';
      b.temperature = AMBIENT_TEMPERATURE;
      return done(`You fill the ${b.name} with water from the ${a.name}.`);
    }
    if (b.dirty) {
      b.dirty = false;
      return done(`You rinse the ${b.name} under the ${a.name}. It is clean now.`);
    }
    return fail('Nothing happens.');
  }
  if (a.holdsLiquid && b.plant) {
    if (!isCarried(s, a)) return fail(`You need to hold the ${a.name} to pour from it.`);
    if (!a.liquid) return fail(`The ${a.name} is empty.`);
    delete a.liquid;
    b.watered = true;
    return done(`You water the ${b.name} with the ${a.name}. The soil is moist now.`);
  }
  return fail('Nothing happens.');
}

function unlock(s: WorldState, name: string, keyName: string): Outcome {
  const t = resolve(s, name);
  if (!t) return notHere(name);
  const key = resolve(s, keyName);
  if (!key) return notHere(keyName);
  if (t.kind !== 'door') return fail(`The ${name} has no lock.`);
  if (!t.d.locked) return fail(`The ${name} is not locked.`);
  if (key.kind === 'door' || !isCarried(s, key.o)) return fail(`You are not carrying the ${keyName}.`);
  if (key.o.id !== t.d.keyId) return fail(`The ${keyName} does not fit the lock.`);
  t.d.locked = false;
  return done(`You unlock the ${name} with the ${keyName}. It is still closed.`);
}
