import type { ProtocolType } from './record.js';

/**
 * Health of one (exporter, protocol, observation domain) as the running collector sees it (computed by
 * normalize/health.ts in the decode workers; served by GET /api/v1/exporters).
 */
export interface ExporterHealth {
  exporter: string;
  protocol: ProtocolType;
  observationDomain: number;
  /** Flows per second over the last minute (or since first seen, when that is shorter). */
  flowsPerSecond: number;
  flows: number;
  /** ms; null: no flow yet (templates only). */
  lastSeen: number | null;
  sequence: { received: number; lost: number; resets: number };
  decodeErrors: number;
  templates: { id: number; kind: 'data' | 'options'; fields: number; ageSeconds: number | null }[];
  sampling: { rate: number; source: string; flows: number }[];
}
