/**
 * API tokens: `flk_<id>_<secret>`, id 16 hex digits (the store's key, shown in `token list`), secret 32
 * random bytes in base64url. Stored as `scrypt$N$r$p$<salt>$<hash>` (node:crypto scrypt, a salt per
 * token): a stolen store gives no usable token. Verifying costs tens of milliseconds on purpose; the
 * Authenticator caches verified tokens so a request does not pay it.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'flk_';
const TOKEN_RE = /^flk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** scrypt cost: N = 2^14, r = 8, p = 1 (16 MiB, ~30-50 ms). */
const N = 16_384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

export interface ParsedToken {
  id: string;
  secret: string;
}

export function newToken(): { token: string; id: string; secret: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { token: `${TOKEN_PREFIX}${id}_${secret}`, id, secret };
}

/** The parts of a well-formed token, or null. */
export function parseToken(token: string): ParsedToken | null {
  const m = TOKEN_RE.exec(token);
  return m ? { id: m[1], secret: m[2] } : null;
}

function derive(secret: string, salt: Buffer, params: { n: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      secret,
      salt,
      KEY_BYTES,
      { N: params.n, r: params.r, p: params.p, maxmem: 64 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, { n: N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `secret` matches a stored hash (constant-time compare); a hash in another form never does. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  if (![n, r, p].every((x) => Number.isSafeInteger(x) && x > 0) || n > 1 << 20) return false;
  const salt = Buffer.from(parts[4], 'base64url');
  const want = Buffer.from(parts[5], 'base64url');
  const got = await derive(secret, salt, { n, r, p });
  return got.length === want.length && timingSafeEqual(got, want);
}
