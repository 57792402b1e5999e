/**
 * The ephemeral-port rule of the aggregate tier (statement and prose: src/jobs/README.md). The TypeScript
 * reference lives in storage/query/rules.ts so storage backends and the conformance suite can use it
 * (storage may not import jobs/); this module is the jobs-side name for it.
 */
export {
  collapsePorts,
  EPHEMERAL_FROM,
  PORT_PROTOCOLS,
  WELL_KNOWN_LIMIT,
} from '../core/rules.js';
