/** Moved to the episode core (src/episode); this re-export keeps old import paths working. */
export * from '../episode/eval-outcome';
