/** The ALFWorld game the demo plays: a short pick-and-place task from the seen evaluation split. */
export const DEMO_GAME = 'pick_and_place_simple-Book-None-SideTable-329/trial_T20190908_050633_745514';
/** Its split. */
export const DEMO_SPLIT = 'valid_seen';
