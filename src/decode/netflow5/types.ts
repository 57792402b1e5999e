/**
 * NetFlow v5 export format (Cisco "NetFlow Export Datagram Format", version 5): a 24-byte header followed
 * by `count` fixed 48-byte flow records.
 */

export const V5_HEADER_LEN = 24;
export const V5_RECORD_LEN = 48;
/** Cisco documents at most 30 records per v5 datagram; used only as a plausibility hint by detection. */
export const V5_MAX_COUNT = 30;

export interface V5Header {
  version: 5;
  count: number;
  /** Milliseconds since the exporter booted, at export time. */
  sysUptime: number;
  unixSecs: number;
  unixNsecs: number;
  /** Sequence counter of total flows seen (counts flows, not datagrams). */
  sequence: number;
  engineType: number;
  engineId: number;
  /** Top 2 bits of the sampling field: 0 = unsampled/none, 1 = deterministic, 2 = random. */
  samplingMode: number;
  /** Low 14 bits of the sampling field: 1:N packet sampling interval, 0 = unsampled. */
  samplingInterval: number;
}

/** One v5 flow record; `header` is shared by all records of a datagram (no copy per record). */
export interface V5Record {
  header: V5Header;
  srcAddr: string;
  dstAddr: string;
  nextHop: string;
  input: number;
  output: number;
  packets: number;
  octets: number;
  /** sysUptime (ms) at the first / last packet of the flow. */
  first: number;
  last: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  protocol: number;
  tos: number;
  srcAs: number;
  dstAs: number;
  srcMask: number;
  dstMask: number;
}
