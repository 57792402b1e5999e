/**
 * The API's authentication from the configuration (auth section) and the store: API tokens looked up in
 * the store, JWTs against the configured keys (read now: a bad key file stops serve at start).
 */
import type { Logger } from 'pino';
import type { ApiAuth } from '../api/auth-hook.js';
import { Authenticator } from '../auth/authenticator.js';
import { JwtVerifier } from '../auth/jwt.js';
import type { Config } from '../config/load.js';
import type { FlowStore } from '../storage/port.js';

export function createApiAuth(config: Config, store: FlowStore | undefined, log?: Logger): ApiAuth {
  const a = config.auth;
  const authenticator = new Authenticator({
    mode: a.mode,
    tokens: store,
    jwt: a.mode === 'required' && a.jwt ? new JwtVerifier(a.jwt) : undefined,
    onTouchError: (err) => log?.warn({ err: (err as Error).message }, 'could not record a token use'),
  });
  return {
    authenticator,
    metricsToken: a.metrics_token,
    rateLimit: { max: a.rate_limit.max, windowMs: a.rate_limit.window },
    log: log ? (fields, message) => log.warn(fields, message) : undefined,
  };
}
