/** The dataset records live in the episode core (src/episode/dataset-records.ts); re-exported here. */
export * from '../episode/dataset-records';
