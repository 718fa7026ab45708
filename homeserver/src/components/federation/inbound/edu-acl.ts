import { isJsonObject, type JsonObject } from '../../../core/json.js';
import type { InboundEdu } from './edus.js';

/**
 * Server ACLs on EDUs local to a room (server-server "Server Access Control Lists"): a typing
 * notification for a room the origin is denied is ignored; receipts are dropped room by room.
 * Other EDU types pass unchanged. Undefined when nothing is left.
 */
export async function applyServerAclToEdu(
  edu: InboundEdu,
  origin: string,
  allowed: (roomId: string, serverName: string) => Promise<boolean>,
): Promise<InboundEdu | undefined> {
  if (edu.edu_type === 'm.typing') {
    const roomId = edu.content['room_id'];
    return typeof roomId === 'string' && !(await allowed(roomId, origin)) ? undefined : edu;
  }
  if (edu.edu_type === 'm.receipt') {
    const kept: JsonObject = {};
    for (const [roomId, receipts] of Object.entries(edu.content)) {
      if (isJsonObject(receipts) && (await allowed(roomId, origin))) kept[roomId] = receipts;
    }
    return Object.keys(kept).length > 0 ? { ...edu, content: kept } : undefined;
  }
  return edu;
}
