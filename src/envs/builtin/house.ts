/**
 * The house every built-in task is played in, and how a variation (seed) lays it out.
 * One layout for all tasks keeps the world rich (distractors for every task); each portable
 * item's candidate places exclude the locked study, so every task stays solvable.
 */
import { createRng } from './prng';
import { AMBIENT_TEMPERATURE, type Door, type Room, type WorldObject, type WorldState } from './world';

const ROOMS: Room[] = [
  { id: 'hallway', name: 'hallway' },
  { id: 'kitchen', name: 'kitchen' },
  { id: 'living-room', name: 'living room' },
  { id: 'bedroom', name: 'bedroom' },
  { id: 'study', name: 'study' },
  { id: 'garden', name: 'garden' },
];

/** The study door is the one locked door; the brass key opens it. */
export const STUDY_DOOR = 'door-hallway-study';

function doors(): Door[] {
  const d = (a: string, b: string): Door => ({
    id: `door-${a}-${b}`,
    rooms: [a, b],
    open: false,
    locked: false,
  });
  const study = d('hallway', 'study');
  study.locked = true;
  study.keyId = 'brass-key';
  return [d('hallway', 'kitchen'), d('hallway', 'living-room'), d('hallway', 'bedroom'), study, d('kitchen', 'garden')];
}

type Spec = Omit<WorldObject, 'temperature' | 'portable' | 'article'> & Partial<WorldObject>;

const fixture = (o: Spec): WorldObject => ({
  article: 'a',
  portable: false,
  temperature: AMBIENT_TEMPERATURE,
  ...o,
});
const item = (o: Spec): WorldObject => ({
  article: 'a',
  portable: true,
  temperature: AMBIENT_TEMPERATURE,
  ...o,
});
const closedBox = { prep: 'in', openable: true, open: false } as const;
const surface = { prep: 'on', openable: false, open: true } as const;

function fixtures(): WorldObject[] {
  return [
    fixture({
      id: 'shoe-cabinet',
      name: 'shoe cabinet',
      location: 'hallway',
      container: { ...closedBox },
    }),
    fixture({
      id: 'side-table',
      name: 'side table',
      location: 'hallway',
      container: { ...surface },
    }),
    fixture({ id: 'cupboard', name: 'cupboard', location: 'kitchen', container: { ...closedBox } }),
    fixture({
      id: 'fridge',
      name: 'fridge',
      location: 'kitchen',
      container: { ...closedBox },
      cooler: true,
    }),
    fixture({
      id: 'stove',
      name: 'stove',
      location: 'kitchen',
      container: { ...surface },
      heater: true,
      on: false,
    }),
    fixture({ id: 'sink', name: 'sink', location: 'kitchen', waterSource: true }),
    fixture({ id: 'counter', name: 'counter', location: 'kitchen', container: { ...surface } }),
    fixture({ id: 'sofa', name: 'sofa', location: 'living-room', container: { ...surface } }),
    fixture({
      id: 'coffee-table',
      name: 'coffee table',
      location: 'living-room',
      container: { ...surface },
    }),
    fixture({
      id: 'basket',
      name: 'basket',
      location: 'living-room',
      container: { prep: 'in', openable: false, open: true },
    }),
    fixture({
      id: 'nightstand',
      name: 'nightstand',
      location: 'bedroom',
      container: { ...surface },
    }),
    fixture({ id: 'dresser', name: 'dresser', location: 'bedroom', container: { ...closedBox } }),
    fixture({ id: 'wardrobe', name: 'wardrobe', location: 'bedroom', container: { ...closedBox } }),
    fixture({ id: 'desk', name: 'desk', location: 'study', container: { ...surface } }),
    fixture({ id: 'chest', name: 'chest', location: 'study', container: { ...closedBox } }),
    fixture({ id: 'bench', name: 'bench', location: 'garden', container: { ...surface } }),
    fixture({ id: 'plant', name: 'plant', location: 'garden', plant: true, watered: false }),
  ];
}

/** Portable items and the places a variation may put them (never the locked study). */
const PLACEMENTS: { make: (location: string) => WorldObject; places: string[] }[] = [
  {
    make: (l) =>
      item({
        id: 'pot',
        name: 'pot',
        location: l,
        container: { ...surface, prep: 'in' },
        holdsLiquid: true,
      }),
    places: ['cupboard', 'counter'],
  },
  {
    make: (l) => item({ id: 'brass-key', name: 'brass key', location: l, keyFor: STUDY_DOOR }),
    places: ['shoe-cabinet', 'dresser', 'wardrobe', 'basket', 'coffee-table', 'cupboard'],
  },
  {
    make: (l) => item({ id: 'apple', name: 'apple', article: 'an', location: l }),
    places: ['fridge', 'counter', 'cupboard'],
  },
  {
    make: (l) => item({ id: 'plate', name: 'plate', location: l, dirty: true }),
    places: ['coffee-table', 'side-table', 'bench', 'nightstand', 'sofa'],
  },
  {
    make: (l) => item({ id: 'orange-juice', name: 'orange juice', article: 'some', location: l }),
    places: ['counter', 'coffee-table', 'nightstand', 'side-table'],
  },
  {
    make: (l) => item({ id: 'watering-can', name: 'watering can', location: l, holdsLiquid: true }),
    places: ['shoe-cabinet', 'side-table', 'bench', 'basket', 'wardrobe'],
  },
  {
    make: (l) => item({ id: 'book', name: 'book', location: l }),
    places: ['nightstand', 'sofa', 'desk', 'coffee-table'],
  },
  {
    make: (l) => item({ id: 'mug', name: 'mug', location: l }),
    places: ['cupboard', 'counter', 'coffee-table'],
  },
];

/** Fixed contents: the gem the key task is about. */
const gem = (): WorldObject => item({ id: 'gem', name: 'gem', location: 'chest' });

/** Builds the initial state for a task and variation; the same inputs always give the same state. */
export function buildHouse(task: string, variation: number, maxSteps: number, stageCount: number): WorldState {
  const rng = createRng(variation);
  const ds = doors();
  for (const d of ds) if (!d.locked) d.open = rng.next() < 0.5;
  const objects = [...fixtures()];
  for (const p of PLACEMENTS) objects.push(p.make(rng.pick(p.places)));
  objects.push(gem());
  // The fridge keeps what starts inside it cold.
  for (const o of objects) if (o.location === 'fridge') o.temperature = 4;
  return {
    version: 1,
    task,
    variation,
    maxSteps,
    agentRoom: rng.pick(['hallway', 'living-room', 'bedroom']),
    rooms: ROOMS.map((r) => ({ ...r })),
    doors: ds,
    objects,
    steps: 0,
    score: 0,
    stagesDone: new Array<boolean>(stageCount).fill(false),
    won: false,
    done: false,
  };
}
