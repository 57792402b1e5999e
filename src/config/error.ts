/** A configuration that cannot be used: one message naming the key, e.g. `listen.netflow: expected ...`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
