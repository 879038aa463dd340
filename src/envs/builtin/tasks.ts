/**
 * The built-in tasks: goal, description, and the stages that give partial score. Each stage is
 * a state predicate (checked after every step) plus an expert plan that reaches it from the
 * current state; the last stage is the goal. Points of all stages sum to 100.
 */
import { fetch, placePhrase, putInto, waitUntil, walkTo, type Actor } from './planner';
import { STUDY_DOOR } from './house';
import { BOILING_POINT, COLD_THRESHOLD, INVENTORY, obj, type WorldState } from './world';

/** One scored step towards a task's goal; doubles as a scripted subtask. */
export interface Stage {
  /** Natural-language subtask, e.g. "Get the pot in the cupboard in the kitchen". */
  subtask(initial: WorldState): string;
  /** Score points awarded when the stage is first reached. */
  points: number;
  /** True when the stage's condition holds in `s`. */
  reached(s: WorldState): boolean;
  /** Drives `a` from its current state until `reached` holds. */
  plan(a: Actor): void;
}

/** A built-in task definition. */
export interface TaskDef {
  id: string;
  /** ScienceWorld-style task description for the initial state. */
  describe(initial: WorldState): string;
  stages: Stage[];
}

const carried = (s: WorldState, id: string): boolean => obj(s, id).location === INVENTORY;
const at = (s: WorldState, id: string, loc: string): boolean => obj(s, id).location === loc;

const boilWater: TaskDef = {
  id: 'boil-water',
  describe: () =>
    'Your task is to boil water. Find a pot, fill it with water, and heat it on the stove until the water boils.',
  stages: [
    {
      subtask: (s) => `Get the pot ${placePhrase(s, 'pot')}`,
      points: 20,
      reached: (s) => carried(s, 'pot'),
      plan: (a) => fetch(a, 'pot'),
    },
    {
      subtask: () => 'Fill the pot with water at the kitchen sink',
      points: 20,
      reached: (s) => obj(s, 'pot').liquid === 'water',
      plan: (a) => {
        walkTo(a, 'kitchen');
        a.run('use sink on pot');
      },
    },
    {
      subtask: () => 'Put the pot of water on the stove',
      points: 20,
      reached: (s) => at(s, 'pot', 'stove') && obj(s, 'pot').liquid === 'water',
      plan: (a) => putInto(a, 'pot', 'stove'),
    },
    {
      subtask: () => 'Turn on the stove',
      points: 20,
      reached: (s) => at(s, 'pot', 'stove') && obj(s, 'pot').liquid === 'water' && obj(s, 'stove').on === true,
      plan: (a) => a.run('activate stove'),
    },
    {
      subtask: () => 'Wait until the water in the pot boils',
      points: 20,
      reached: (s) => obj(s, 'pot').liquid === 'water' && obj(s, 'pot').temperature >= BOILING_POINT,
      plan: (a) => waitUntil(a, (s) => obj(s, 'pot').temperature >= BOILING_POINT),
    },
  ],
};

const findKeyOpenChest: TaskDef = {
  id: 'find-key-open-chest',
  describe: () =>
    'Your task is to take the gem from the chest in the study. The door to the study is locked; the brass key is hidden somewhere in the house.',
  stages: [
    {
      subtask: (s) => `Find the brass key ${placePhrase(s, 'brass-key')}`,
      points: 20,
      reached: (s) => carried(s, 'brass-key'),
      plan: (a) => fetch(a, 'brass-key'),
    },
    {
      subtask: () => 'Unlock the door to the study with the brass key',
      points: 20,
      reached: (s) => s.doors.find((d) => d.id === STUDY_DOOR)?.locked === false,
      plan: (a) => {
        walkTo(a, 'hallway');
        a.run('unlock door to study with brass key');
      },
    },
    {
      subtask: () => 'Go into the study',
      points: 20,
      reached: (s) => s.agentRoom === 'study',
      plan: (a) => {
        a.run('open door to study');
        a.run('go to study');
      },
    },
    {
      subtask: () => 'Open the chest',
      points: 20,
      reached: (s) => obj(s, 'chest').container?.open === true,
      plan: (a) => a.run('open chest'),
    },
    {
      subtask: () => 'Take the gem from the chest',
      points: 20,
      reached: (s) => carried(s, 'gem'),
      plan: (a) => a.run('take gem from chest'),
    },
  ],
};

const deliverApple: TaskDef = {
  id: 'deliver-apple',
  describe: () => 'Your task is to find an apple and put it on the nightstand in the bedroom.',
  stages: [
    {
      subtask: (s) => `Get the apple ${placePhrase(s, 'apple')}`,
      points: 30,
      reached: (s) => carried(s, 'apple'),
      plan: (a) => fetch(a, 'apple'),
    },
    {
      subtask: () => 'Carry the apple to the bedroom',
      points: 30,
      reached: (s) => s.agentRoom === 'bedroom' && carried(s, 'apple'),
      plan: (a) => walkTo(a, 'bedroom'),
    },
    {
      subtask: () => 'Put the apple on the nightstand',
      points: 40,
      reached: (s) => at(s, 'apple', 'nightstand'),
      plan: (a) => putInto(a, 'apple', 'nightstand'),
    },
  ],
};

const cleanPlate: TaskDef = {
  id: 'clean-plate',
  describe: () => 'Your task is to clean the dirty plate and put it away in the kitchen cupboard.',
  stages: [
    {
      subtask: (s) => `Get the dirty plate ${placePhrase(s, 'plate')}`,
      points: 25,
      reached: (s) => carried(s, 'plate'),
      plan: (a) => fetch(a, 'plate'),
    },
    {
      subtask: () => 'Rinse the plate at the kitchen sink',
      points: 35,
      reached: (s) => obj(s, 'plate').dirty === false,
      plan: (a) => {
        walkTo(a, 'kitchen');
        a.run('use sink on plate');
      },
    },
    {
      subtask: () => 'Put the clean plate in the cupboard',
      points: 40,
      reached: (s) => at(s, 'plate', 'cupboard') && obj(s, 'plate').dirty === false,
      plan: (a) => putInto(a, 'plate', 'cupboard'),
    },
  ],
};

const chillJuice: TaskDef = {
  id: 'chill-juice',
  describe: () =>
    `Your task is to chill the orange juice. Put it in the fridge and keep the fridge closed until the juice is cold (${COLD_THRESHOLD}°C or less).`,
  stages: [
    {
      subtask: (s) => `Get the orange juice ${placePhrase(s, 'orange-juice')}`,
      points: 25,
      reached: (s) => carried(s, 'orange-juice'),
      plan: (a) => fetch(a, 'orange-juice'),
    },
    {
      subtask: () => 'Put the orange juice in the fridge',
      points: 25,
      reached: (s) => at(s, 'orange-juice', 'fridge'),
      plan: (a) => putInto(a, 'orange-juice', 'fridge'),
    },
    {
      subtask: () => 'Close the fridge',
      points: 25,
      reached: (s) => at(s, 'orange-juice', 'fridge') && obj(s, 'fridge').container?.open === false,
      plan: (a) => a.run('close fridge'),
    },
    {
      subtask: () => 'Wait until the orange juice is cold',
      points: 25,
      reached: (s) => at(s, 'orange-juice', 'fridge') && obj(s, 'orange-juice').temperature <= COLD_THRESHOLD,
      plan: (a) => waitUntil(a, (s) => obj(s, 'orange-juice').temperature <= COLD_THRESHOLD),
    },
  ],
};

const waterPlant: TaskDef = {
  id: 'water-plant',
  describe: () => 'Your task is to water the plant in the garden. You will need a watering can full of water.',
  stages: [
    {
      subtask: (s) => `Get the watering can ${placePhrase(s, 'watering-can')}`,
      points: 25,
      reached: (s) => carried(s, 'watering-can'),
      plan: (a) => fetch(a, 'watering-can'),
    },
    {
      subtask: () => 'Fill the watering can at the kitchen sink',
      points: 25,
      reached: (s) => obj(s, 'watering-can').liquid === 'water',
      plan: (a) => {
        walkTo(a, 'kitchen');
        a.run('use sink on watering can');
      },
    },
    {
      subtask: () => 'Carry the full watering can to the garden',
      points: 25,
      reached: (s) =>
        s.agentRoom === 'garden' && carried(s, 'watering-can') && obj(s, 'watering-can').liquid === 'water',
      plan: (a) => walkTo(a, 'garden'),
    },
    {
      subtask: () => 'Water the plant with the watering can',
      points: 25,
      reached: (s) => obj(s, 'plant').watered === true,
      plan: (a) => a.run('use watering can on plant'),
    },
  ],
};

/** All built-in tasks by id, in a stable order. */
export const TASKS: readonly TaskDef[] = [
  boilWater,
  findKeyOpenChest,
  deliverApple,
  cleanPlate,
  chillJuice,
  waterPlant,
];

/** The task with this id, or `undefined`. */
export function findTask(id: string): TaskDef | undefined {
  return TASKS.find((t) => t.id === id);
}
