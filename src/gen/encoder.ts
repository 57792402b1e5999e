import type { GenFlow } from './flows.js';

/**
 * One export protocol's packet builder. The exporter drives it per datagram: `begin`, then `add` flows until
 * one does not fit (it is kept for the next datagram), then `finish`. Encoders own the protocol state
 * (sequence numbers, template refresh, sample pools) so consecutive datagrams form a valid export stream.
 */
export interface PacketEncoder {
  begin(now: number): void;
  /**
   * Append one flow; returns what was written (the flow itself, or for sFlow the sampled packet it became),
   * or null when the datagram is full.
   */
  add(flow: GenFlow): GenFlow | null;
  finish(): EncodedPacket;
  /** True when the protocol cannot carry IPv6 flows (NetFlow v5). */
  readonly ipv4Only: boolean;
}

export interface EncodedPacket {
  bytes: Uint8Array;
  /** Template records sent in this datagram (data + options templates). */
  templates: number;
  /** Options data records (sampler tables) sent in this datagram. */
  optionsRecords: number;
  /** sFlow counter samples sent in this datagram. */
  counterSamples: number;
}

/** Settings every encoder understands. */
export interface EncoderOptions {
  /** v5 engine id, v9 source id, IPFIX observation domain, sFlow sub-agent id. */
  exporterId: number;
  /** 1:N packet sampling; 1 = unsampled. */
  samplingRate: number;
  /** Largest datagram in bytes (UDP payload). */
  mtu: number;
  /** Epoch ms the simulated exporter booted (sysUptime base). */
  bootTime: number;
}
