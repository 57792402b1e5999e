/**
 * The aggregate tier's rules that dependency discovery reads its input by. They are stated once, in the
 * storage rules module; this is deps' one import site of it, so moving that module touches one line here.
 */
export {
  collapsePorts,
  EPHEMERAL_FROM,
  PORT_PROTOCOLS,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  WELL_KNOWN_LIMIT,
  WINDOW_MS,
  windowStart,
} from '../storage/query/rules.js';

/** TCP PSH (RFC 9293 section 3.1): data was pushed, so the connection carried data. */
export const TCP_PSH = 0x08;
