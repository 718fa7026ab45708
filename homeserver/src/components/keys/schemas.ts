import { z } from 'zod';
import { parseUserId } from '../../core/ids.js';

/*
 * Building blocks of the keys endpoints' schemas. Every string that becomes a column value is
 * refused when it holds NUL (PostgreSQL text cannot store it) or is longer than an ID may be, so
 * bad input is a 400 at the edge rather than a database error.
 */

const noNul = (s: string): boolean => !s.includes('\u0000');

/** A device ID, key ID, algorithm, session ID …: 1 to 255 characters, no NUL. */
export const idString = z.string().min(1).max(255).refine(noNul, 'must not contain NUL');

export const userIdString = z
  .string()
  .max(255)
  .refine((s) => parseUserId(s) !== null, 'must be a user ID');

/** An unpadded-base64 key or signature as a string; its bytes are checked where they are used. */
const keyString = z.string().max(1024).refine(noNul, 'must not contain NUL');

/** `signatures[user ID][key ID]` (appendix "Signing JSON"). */
export const signaturesSchema = z.record(z.string().max(255), z.record(z.string().max(255), keyString));

/** Device identity keys as /keys/upload takes them (definitions/device_keys.yaml). */
export const deviceKeysSchema = z
  .object({
    user_id: z.string().max(255),
    device_id: z.string().max(255),
    algorithms: z.array(z.string().max(255)).max(100),
    keys: z.record(z.string().max(255), keyString),
    signatures: signaturesSchema,
  })
  .passthrough();

export type DeviceKeys = z.infer<typeof deviceKeysSchema>;

/** A one-time or fallback key: a bare key string, or a signed key object (definitions/one_time_keys.yaml). */
export const keyObjectSchema = z.union([keyString, z.object({ key: keyString, signatures: signaturesSchema }).passthrough()]);

export type KeyObject = z.infer<typeof keyObjectSchema>;

/** `<algorithm>:<key ID>` → key. */
export const oneTimeKeysSchema = z.record(z.string().max(255).refine(noNul, 'must not contain NUL'), keyObjectSchema);

export const CROSS_SIGNING_USAGES = ['master', 'self_signing', 'user_signing'] as const;
export type CrossSigningUsage = (typeof CROSS_SIGNING_USAGES)[number];

/** A cross-signing key (definitions/cross_signing_key.yaml). */
export const crossSigningKeySchema = z
  .object({
    user_id: z.string().max(255),
    usage: z.array(z.string().max(255)).min(1).max(10),
    keys: z.record(z.string().max(255), keyString),
    signatures: signaturesSchema.optional(),
  })
  .passthrough();

export type CrossSigningKey = z.infer<typeof crossSigningKeySchema>;

/** `timeout` of /keys/query and /keys/claim: how long to wait for other servers. */
export const timeoutSchema = z.number().int().min(0).max(5 * 60_000).optional();

/** An object value, passed through untouched (to-device message content, session data). */
export const objectSchema = z.record(z.string(), z.unknown());
