/**
 * Typed decode errors with stable codes. A decoder never throws these to its caller: it returns them
 * (see decode/types.ts) so one bad datagram is counted and skipped and loses nothing else.
 */

export type DecodeErrorCode =
  | 'truncated' // a read ran past the end of the datagram / set / record
  | 'bad_version' // version field is not what the decoder handles
  | 'bad_length' // a length field is inconsistent (header length, set length, record length)
  | 'bad_count' // a count field is inconsistent with the bytes present
  | 'bad_template' // a template definition is malformed (zero length field, too many fields, ...)
  | 'bad_set_id' // reserved / invalid set or flowset id
  | 'unknown_protocol' // the datagram is none of the protocols we decode
  | 'unsupported' // well-formed but a feature we do not decode (e.g. sFlow header protocol we skip)
  | 'bad_address' // an address field with an impossible length / type
  | 'bad_value' // a value that cannot be right (e.g. record length that would allocate absurdly)
  | 'internal'; // a bug: an unexpected exception caught at the decoder boundary

export interface DecodeErrorContext {
  exporter?: string;
  version?: number;
  domain?: number;
  templateId?: number;
  setId?: number;
  offset?: number;
  [key: string]: string | number | undefined;
}

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
    readonly context: DecodeErrorContext = {},
  ) {
    super(message);
  }

  toJSON(): { code: DecodeErrorCode; message: string; context: DecodeErrorContext } {
    return { code: this.code, message: this.message, context: this.context };
  }
}

/** Turn anything caught at a decoder boundary into a typed error (unexpected exceptions become 'internal'). */
export function asDecodeError(err: unknown, context: DecodeErrorContext = {}): DecodeError {
  if (err instanceof DecodeError) {
    return Object.keys(context).length
      ? new DecodeError(err.code, err.message, { ...context, ...err.context })
      : err;
  }
  if (err instanceof RangeError) return new DecodeError('truncated', err.message, context);
  return new DecodeError('internal', err instanceof Error ? err.message : String(err), context);
}
