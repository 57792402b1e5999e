/**
 * The aggregate tier's rules that dependency discovery reads its input by, stated once in core/rules.ts;
 * this is deps' one import site of them, plus the TCP flag core/rules.ts does not name.
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
} from '../core/rules.js';

/** TCP PSH (RFC 9293 section 3.1): data was pushed, so the connection carried data. Belongs beside TCP_ACK. */
export const TCP_PSH = 0x08;
