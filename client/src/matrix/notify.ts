import { describeContent } from './preview';
import { evaluatePushRules, type PushRuleset } from './push-rules';
import { memberName, powerLevels, roomName, userPower } from './room-info';
import type { RoomData } from './sync/accumulator';
import { isShown, mentions } from './timeline-view';
import type { MatrixEvent } from './types';

/**
 * Whether a new event deserves a notification on this device, and what it says. Decided by the
 * account's push rules on the event as we read it (decrypted), so mentions inside encrypted
 * messages highlight and a muted room stays quiet. Pure.
 */

export interface NotificationText {
  title: string;
  body: string;
  highlight: boolean;
}

export function notificationFor(room: RoomData, event: MatrixEvent, rules: PushRuleset | undefined, ownUserId: string, ownName: string | undefined): NotificationText | undefined {
  if (event.sender === ownUserId || event.state_key !== undefined || !isShown(event)) return undefined;
  let highlight: boolean;
  if (rules) {
    const pl = powerLevels(room);
    const notifications = pl.notifications && typeof pl.notifications === 'object' ? (pl.notifications as Record<string, unknown>) : {};
    const result = evaluatePushRules(rules, { ...event, room_id: room.roomId }, {
      ownUserId,
      displayName: ownName,
      memberCount: Object.values(room.state['m.room.member'] ?? {}).filter((e) => e.content.membership === 'join').length || room.joinedCount,
      senderPower: userPower(pl, event.sender),
      notificationPowers: Object.fromEntries(Object.entries(notifications).filter((e): e is [string, number] => typeof e[1] === 'number')),
    });
    if (!result.notify) return undefined;
    highlight = result.highlight;
  } else {
    // No rules known (yet): every message notifies, mentions highlight, as the default rules say.
    highlight = mentions(event.content, ownUserId, ownName);
  }
  const name = roomName(room, ownUserId);
  const sender = memberName(room, event.sender);
  const text = event.type === 'm.room.encrypted' ? 'Encrypted message' : describeContent(event.content) || 'New message';
  return { title: highlight ? `${sender} mentioned you in ${name}` : name, body: `${sender}: ${text}`.slice(0, 200), highlight };
}
