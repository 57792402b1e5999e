/** Operator settings that normalization applies (DESIGN.md "Decoding rules", sampling rate). */
export interface NormalizeOptions {
  /** Forced sampling rate per exporter address, whatever the exporter says (sampling_source config_override). */
  samplingOverride?: Record<string, number>;
  /** Rate to assume when the exporter gives none (sampling_source config_default); default 1. */
  samplingDefault?: number;
}
