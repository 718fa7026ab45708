import { z } from 'zod';
import { localUserId } from './ids.js';

/** How /login and the m.login.password stage name a user: `identifier`, or the deprecated `user`. */
export const identifierSchema = z
  .object({
    identifier: z
      .object({
        type: z.string(),
        user: z.string().max(255).optional(),
      })
      .passthrough()
      .optional(),
    user: z.string().max(255).optional(),
  })
  .passthrough();

export type Identified = z.infer<typeof identifierSchema>;

/** The local user ID named, or undefined (third-party IDs are not supported: no 3PIDs here). */
export function userOfIdentifier(body: Identified, serverName: string): string | undefined {
  const id = body.identifier;
  if (id) {
    if (id.type !== 'm.id.user' || id.user === undefined) return undefined;
    return localUserId(id.user, serverName);
  }
  return body.user !== undefined ? localUserId(body.user, serverName) : undefined;
}
