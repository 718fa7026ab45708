export { resolveState, type ResolveOptions } from './resolve.js';
export { memoryStore, EventCache, type StateResEvent, type StateResStore } from './store.js';
export { splitConflicted, conflictedEventIds, type SplitState } from './split.js';
export { authChainDifference, loadAuthClosure } from './auth-chain.js';
export { conflictedStateSubgraph } from './conflicted-subgraph.js';
export { isPowerEvent } from './power-events.js';
export {
  reverseTopologicalPowerSort,
  buildPowerGraph,
  powerOrderLess,
  type PowerSortKey,
} from './power-ordering.js';
export { mainlineSort } from './mainline.js';
export { iterativeAuthChecks, type IterativeAuthOptions } from './iterative-auth.js';
