/**
 * Shared machinery of the template protocols (NetFlow v9 and IPFIX): compiled templates, per-exporter
 * template/sampling state, data held for missing templates, snapshot/restore.
 */
export type { MessageHeader, MessageOutput } from './context.js';
export { caught, errorAt, finishOutput, headerFailure, newOutput } from './message.js';
export { PENDING_MAX_BYTES, PENDING_MAX_SETS } from './pending.js';
export { type RawField, REVERSE_PEN, type TemplateHead } from './plan.js';
export { handleDataSet, installTemplate, refreshTemplate } from './sets.js';
export { pendingCount, restoreTemplateState, snapshotTemplateState } from './snapshot.js';
export { removeAll, removeTemplate, templateSlot } from './state.js';
export type { FieldSpec, FieldValue, ResolvedSampling, Template, TemplateRecord } from './types.js';
export { Kind, VARLEN } from './types.js';
