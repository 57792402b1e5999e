/**
 * Synthetic exporter: builds real wire-format NetFlow v5 / v9, IPFIX and sFlow v5 datagrams from generated
 * flows, and keeps an exact account of what it sent. Used by `flowlens gen`, the demo and the benchmarks.
 */

export { Prng } from '../core/prng.js';
export type { Exporter, ExporterOptions, GenPacket, GenProtocol, GenTotals, Tally } from './exporter.js';
export { createExporter, GEN_PROTOCOLS } from './exporter.js';
export type { FlowGeneratorOptions, GenFlow, GenReverse, Service } from './flows.js';
export { DEFAULT_SERVICES, type FlowCore, FlowGenerator, plainFlow } from './flows.js';
export { exportFlows, type GivenPacket } from './given.js';
export { DEFAULT_PORTS, type PcapDatagram, writePcap } from './pcap.js';
export { type LoadOptions, type LoadResult, sendLoad } from './send.js';
export { PacketSource, type PacketSourceOptions, type SourcePacket } from './source.js';
