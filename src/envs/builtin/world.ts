/**
 * World model of the built-in environment: plain JSON data plus pure queries over it.
 * Kept free of parsing and task logic so that the state can be snapshotted, cloned and compared
 * with `JSON.stringify`, and so every other file reads the world the same way.
 */

/** Room temperature in °C; items start here unless a fridge or stove changed them. */
export const AMBIENT_TEMPERATURE = 20;
/** Water at or above this temperature (°C) is boiling. */
export const BOILING_POINT = 100;
/** An item at or below this temperature (°C) counts as cold. */
export const COLD_THRESHOLD = 5;

/** The location of an object: a room id, another object's id, or the agent's inventory. */
export type Location = string;
/** {@link Location} of everything the agent carries. */
export const INVENTORY = 'inventory';

/** A room; `id` is stable, `name` is what the player types (`go to living room`). */
export interface Room {
  id: string;
  name: string;
}

/** A door between two rooms; its name depends on the side it is seen from (`door to kitchen`). */
export interface Door {
  id: string;
  rooms: [string, string];
  open: boolean;
  locked: boolean;
  /** Object id of the key that unlocks it. */
  keyId?: string;
}

/** What an object can hold and whether it has a lid. */
export interface ContainerTraits {
  /** How contents are phrased: `in` a cupboard, `on` a table. */
  prep: 'in' | 'on';
  /** True when the container can be opened and closed (fridge, cupboard); false for surfaces. */
  openable: boolean;
  open: boolean;
}

/** Any thing in the world, portable or not. All traits are optional data, never behaviour. */
export interface WorldObject {
  id: string;
  /** Name the player types; unique in the world so commands never need disambiguation. */
  name: string;
  /** Article used in descriptions (`a`, `an`, `some`). */
  article: string;
  location: Location;
  portable: boolean;
  /** Temperature in °C. */
  temperature: number;
  container?: ContainerTraits;
  /** Can hold a liquid (pot, watering can). */
  holdsLiquid?: boolean;
  liquid?: 'water';
  dirty?: boolean;
  /** Heats what sits on it while on (stove). */
  heater?: boolean;
  /** Cools what is inside while closed (fridge). */
  cooler?: boolean;
  /** Switchable device state (`activate` / `deactivate`). */
  on?: boolean;
  /** Fills containers and rinses things (`use sink on pot`). */
  waterSource?: boolean;
  /** Can be watered (`use watering can on plant`). */
  plant?: boolean;
  watered?: boolean;
  /** Door id this key unlocks. */
  keyFor?: string;
}

/** The whole mutable state of one episode; JSON-serialisable. */
export interface WorldState {
  /** Format version of this record, bumped on incompatible changes. */
  version: 1;
  task: string;
  variation: number;
  maxSteps: number;
  agentRoom: string;
  rooms: Room[];
  doors: Door[];
  /** Objects in a fixed order, which fixes the order of descriptions and valid actions. */
  objects: WorldObject[];
  steps: number;
  score: number;
  /** Per task stage: reached at least once (stages latch, so the score never decreases). */
  stagesDone: boolean[];
  won: boolean;
  done: boolean;
}

/** Deep copy through JSON: the state is plain data by contract, so this is exact. */
export function cloneState(s: WorldState): WorldState {
  return JSON.parse(JSON.stringify(s)) as WorldState;
}

/** The object with this id; throws on an unknown id because that is a bug, not player input. */
export function obj(s: WorldState, id: string): WorldObject {
  const o = s.objects.find((x) => x.id === id);
  if (!o) throw new Error(`builtin world: no object with id '${id}'`);
  return o;
}

/** The room with this id. */
export function room(s: WorldState, id: string): Room {
  const r = s.rooms.find((x) => x.id === id);
  if (!r) throw new Error(`builtin world: no room with id '${id}'`);
  return r;
}

/** True when `loc` names a room. */
export function isRoom(s: WorldState, loc: Location): boolean {
  return s.rooms.some((r) => r.id === loc);
}

/** Objects whose location is exactly `loc`, in world order. */
export function contentsOf(s: WorldState, loc: Location): WorldObject[] {
  return s.objects.filter((o) => o.location === loc);
}

/** True when the contents of `o` can be seen and reached (a surface, or an open container). */
export function isAccessible(o: WorldObject): boolean {
  return o.container !== undefined && (!o.container.openable || o.container.open);
}

/** The room an object is in (following containers), or {@link INVENTORY} when carried. */
export function roomOf(s: WorldState, o: WorldObject): Location {
  let loc = o.location;
  for (let guard = 0; guard < 100; guard++) {
    if (loc === INVENTORY || isRoom(s, loc)) return loc;
    loc = obj(s, loc).location;
  }
  throw new Error(`builtin world: location cycle at '${o.id}'`);
}

/** True when `o` is carried, directly or inside something carried. */
export function isCarried(s: WorldState, o: WorldObject): boolean {
  return roomOf(s, o) === INVENTORY;
}

/** True when `inner` is `outer` or is (transitively) inside it. */
export function isWithin(s: WorldState, inner: WorldObject, outer: WorldObject): boolean {
  let cur: WorldObject | undefined = inner;
  for (let guard = 0; cur && guard < 100; guard++) {
    if (cur.id === outer.id) return true;
    const loc: Location = cur.location;
    cur = loc === INVENTORY || isRoom(s, loc) ? undefined : obj(s, loc);
  }
  return false;
}

/** Objects visible from `loc`: its contents plus, recursively, contents of accessible ones. */
export function visibleFrom(s: WorldState, loc: Location): WorldObject[] {
  const out: WorldObject[] = [];
  const walk = (at: Location): void => {
    for (const o of contentsOf(s, at)) {
      out.push(o);
      if (isAccessible(o)) walk(o.id);
    }
  };
  walk(loc);
  return out;
}

/** Everything the agent can act on: what is in its room and what it carries. */
export function reachable(s: WorldState): WorldObject[] {
  return [...visibleFrom(s, s.agentRoom), ...visibleFrom(s, INVENTORY)];
}

/** Doors of the agent's room (or of `roomId`). */
export function doorsOf(s: WorldState, roomId: string = s.agentRoom): Door[] {
  return s.doors.filter((d) => d.rooms.includes(roomId));
}

/** The room on the other side of `d` seen from `roomId`. */
export function otherSide(d: Door, roomId: string): string {
  return d.rooms[0] === roomId ? d.rooms[1] : d.rooms[0];
}

/** The player-facing name of a door seen from `roomId`: `door to <other room>`. */
export function doorName(s: WorldState, d: Door, roomId: string = s.agentRoom): string {
  return `door to ${room(s, otherSide(d, roomId)).name}`;
}
