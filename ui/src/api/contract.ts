/**
 * Routes of other branches (queries-more, deps-labels, tenants) typed by hand from /work/notes/contracts.md
 * until they are in the OpenAPI document; the pages call them through `contractGet/Post` and show
 * "not available" when the server answers 404 (a server without them).
 */
export interface ExporterInfo {
  exporter: string;
  observationDomain: number;
  protocol: string;
  flowsPerSecond: number;
  flows: number;
  lastSeen: string;
  sequence: { received: number; lost: number };
  decodeErrors: number;
  templates: { id: number; ageSeconds: number; fields: number }[];
  sampling: { rate: number; source: string }[];
}
export interface ExportersAnswer {
  exporters: ExporterInfo[];
}
export interface ScanRow {
  src_ip: string;
  targets_estimated: number;
  targets_sampled: number;
  ports: number;
  syn_only_flows: number;
  first_seen: number | string;
  last_seen: number | string;
  sampling_rate: number;
}
export type DepsChange = 'new' | 'vanished' | 'changed' | 'same';
export interface DepsDiffBody {
  from: string | number;
  to: string | number;
  baseFrom: string | number;
  baseTo: string | number;
  view?: 'host' | 'group' | 'service';
  filter?: string;
}
export interface DepsDiffAnswer {
  columns: string[];
  rows: (Record<string, string | number | null> & { change: DepsChange })[];
}
export interface DepsHistoryAnswer {
  days: { day: string; bytes: number; packets: number; flows: number }[];
  changes: { at: string; field: string; from: string; to: string }[];
}
export interface Label {
  cidr: string;
  name: string;
  group: string;
  service?: string;
  validFrom: string | null;
  validTo: string | null;
}
export interface Tenant {
  name: string;
  exporters: string[];
  networks: string[];
  groups: string[];
  createdAt: string;
}
