/**
 * sFlow v5 counter records (enterprise 0), described as field tables: each record is a fixed sequence of
 * XDR fields (sFlow v5 spec section "Counter Data"; LAG: "sFlow LAG Counters Structure" 2012; OpenFlow
 * port / port name: "sFlow OpenFlow Structures" 2011). Field names are the MIB object names in snake_case.
 */
import type { Counter } from '../../core/record.js';
import type { ByteReader } from '../../wire/reader.js';
import type { SflowCounterRecord } from './types.js';
import { readMac, readString } from './xdr.js';

type FieldType = 'u8' | 'u32' | 'u64' | 'mac' | 'str';

const READ: Record<FieldType, (r: ByteReader) => Counter | string> = {
  u8: (r) => r.u8(),
  u32: (r) => r.u32(),
  u64: (r) => r.u64(),
  mac: readMac,
  str: readString,
};
interface CounterLayout {
  name: string;
  fields: [string, FieldType][];
}

const u32s = (...names: string[]): [string, FieldType][] => names.map((n) => [n, 'u32']);

const LAYOUTS = new Map<number, CounterLayout>([
  [
    1,
    {
      name: 'generic_interface',
      fields: [
        ['if_index', 'u32'],
        ['if_type', 'u32'],
        ['if_speed', 'u64'],
        ['if_direction', 'u32'], // 0 unknown, 1 full-duplex, 2 half-duplex, 3 in, 4 out
        ['if_status', 'u32'], // bit 0 ifAdminStatus up, bit 1 ifOperStatus up
        ['if_in_octets', 'u64'],
        ...u32s(
          'if_in_ucast_pkts',
          'if_in_multicast_pkts',
          'if_in_broadcast_pkts',
          'if_in_discards',
          'if_in_errors',
          'if_in_unknown_protos',
        ),
        ['if_out_octets', 'u64'],
        ...u32s(
          'if_out_ucast_pkts',
          'if_out_multicast_pkts',
          'if_out_broadcast_pkts',
          'if_out_discards',
          'if_out_errors',
          'if_promiscuous_mode',
        ),
      ],
    },
  ],
  [
    2,
    {
      name: 'ethernet',
      fields: u32s(
        'dot3_stats_alignment_errors',
        'dot3_stats_fcs_errors',
        'dot3_stats_single_collision_frames',
        'dot3_stats_multiple_collision_frames',
        'dot3_stats_sqe_test_errors',
        'dot3_stats_deferred_transmissions',
        'dot3_stats_late_collisions',
        'dot3_stats_excessive_collisions',
        'dot3_stats_internal_mac_transmit_errors',
        'dot3_stats_carrier_sense_errors',
        'dot3_stats_frame_too_longs',
        'dot3_stats_internal_mac_receive_errors',
        'dot3_stats_symbol_errors',
      ),
    },
  ],
  [
    3,
    {
      name: 'token_ring',
      fields: u32s(
        'dot5_stats_line_errors',
        'dot5_stats_burst_errors',
        'dot5_stats_ac_errors',
        'dot5_stats_abort_trans_errors',
        'dot5_stats_internal_errors',
        'dot5_stats_lost_frame_errors',
        'dot5_stats_receive_congestions',
        'dot5_stats_frame_copied_errors',
        'dot5_stats_token_errors',
        'dot5_stats_soft_errors',
        'dot5_stats_hard_errors',
        'dot5_stats_signal_loss',
        'dot5_stats_transmit_beacons',
        'dot5_stats_recoverys',
        'dot5_stats_lobe_wires',
        'dot5_stats_removes',
        'dot5_stats_singles',
        'dot5_stats_freq_errors',
      ),
    },
  ],
  [
    4,
    {
      name: 'vg_100basevg',
      fields: [
        ['dot12_in_high_priority_frames', 'u32'],
        ['dot12_in_high_priority_octets', 'u64'],
        ['dot12_in_norm_priority_frames', 'u32'],
        ['dot12_in_norm_priority_octets', 'u64'],
        ...u32s(
          'dot12_in_ipm_errors',
          'dot12_in_oversize_frame_errors',
          'dot12_in_data_errors',
          'dot12_in_null_addressed_frames',
          'dot12_out_high_priority_frames',
        ),
        ['dot12_out_high_priority_octets', 'u64'],
        ['dot12_transition_into_trainings', 'u32'],
        ['dot12_hc_in_high_priority_octets', 'u64'],
        ['dot12_hc_in_norm_priority_octets', 'u64'],
        ['dot12_hc_out_high_priority_octets', 'u64'],
      ],
    },
  ],
  [
    5,
    {
      name: 'vlan',
      fields: [
        ['vlan_id', 'u32'],
        ['octets', 'u64'],
        ...u32s('ucast_pkts', 'multicast_pkts', 'broadcast_pkts', 'discards'),
      ],
    },
  ],
  [
    7,
    {
      name: 'lag',
      fields: [
        ['actor_system_id', 'mac'],
        ['partner_oper_system_id', 'mac'],
        ['attached_agg_id', 'u32'],
        // dot3adAggPortState is opaque[4]: byte 0 actor admin, 1 actor oper, 2 partner admin, 3 partner
        // oper state (IEEE 802.1AX LACP state bits).
        ['actor_admin_state', 'u8'],
        ['actor_oper_state', 'u8'],
        ['partner_admin_state', 'u8'],
        ['partner_oper_state', 'u8'],
        ...u32s(
          'lacpdus_rx',
          'marker_pdus_rx',
          'marker_response_pdus_rx',
          'unknown_rx',
          'illegal_rx',
          'lacpdus_tx',
          'marker_pdus_tx',
          'marker_response_pdus_tx',
        ),
      ],
    },
  ],
  [
    1001,
    {
      name: 'processor',
      fields: [
        ...u32s('cpu_5s', 'cpu_1m', 'cpu_5m'), // percent * 100
        ['total_memory', 'u64'],
        ['free_memory', 'u64'],
      ],
    },
  ],
  [
    1004,
    {
      name: 'openflow_port',
      fields: [
        ['datapath_id', 'u64'],
        ['port_no', 'u32'],
      ],
    },
  ],
  [1005, { name: 'port_name', fields: [['name', 'str']] }],
]);

/** Parse a counter record body; null when the format is not one we know (the caller keeps it raw). */
export function parseCounterRecord(
  r: ByteReader,
  enterprise: number,
  format: number,
): SflowCounterRecord | null {
  const layout = enterprise === 0 ? LAYOUTS.get(format) : undefined;
  if (!layout) return null;
  const values: Record<string, Counter | string> = {};
  for (const [name, type] of layout.fields) {
    values[name] = READ[type](r);
  }
  return { enterprise, format, name: layout.name, values };
}
