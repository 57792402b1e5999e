/** Service dependency discovery (DESIGN.md "Dependency discovery"): the pure core. See README.md. */
export { addBiflow, BIFLOW_DIRECTION, biflowEvidence } from './biflow.js';
export { type Decision, decide, serviceRank } from './evidence.js';
export { type InferOptions, type InferReport, type InferResult, inferEdges } from './infer.js';
export {
  type DirectionCorrection,
  type EdgeDirection,
  edgeId,
  type MergeOptions,
  type MergeResult,
  mergeEdges,
  RULE_CONFIDENCE,
  RULE_STRENGTH,
  toDependencyEdge,
} from './merge.js';
export type { BiflowEvidence, Confidence, ConversationRow, DiscoveredEdge } from './types.js';
