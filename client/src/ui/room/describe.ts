import { memberName } from '../../matrix/room-info';
import type { RoomData } from '../../matrix/sync/accumulator';
import type { MatrixEvent } from '../../matrix/types';

/** One line for a state event in the timeline ("Bob joined", "Alice renamed the room to X"). */
export function describeStateEvent(room: RoomData, e: MatrixEvent): string {
  const who = memberName(room, e.sender);
  const c = e.content;
  switch (e.type) {
    case 'm.room.create':
      return `${who} created the room`;
    case 'm.room.name':
      return c.name ? `${who} named the room “${String(c.name)}”` : `${who} removed the room name`;
    case 'm.room.topic':
      return c.topic ? `${who} set the topic: ${String(c.topic)}` : `${who} removed the topic`;
    case 'm.room.avatar':
      return `${who} changed the room picture`;
    case 'm.room.encryption':
      return `${who} turned on end-to-end encryption`;
    case 'm.room.member': {
      const target = e.state_key ?? '';
      const targetName = typeof c.displayname === 'string' ? c.displayname : memberName(room, target);
      const prev = e.unsigned?.prev_content?.membership;
      switch (c.membership) {
        case 'join':
          if (prev === 'join') return `${targetName} updated their profile`;
          return `${targetName} joined`;
        case 'invite':
          return prev === 'knock' ? `${who} let ${targetName} in` : `${who} invited ${targetName}`;
        case 'knock':
          return `${targetName} asked to join${typeof c.reason === 'string' && c.reason ? `: ${c.reason}` : ''}`;
        case 'leave':
          if (target !== e.sender) {
            if (prev === 'knock') return `${who} turned down ${targetName}’s request to join`;
            return prev === 'ban' ? `${who} unbanned ${targetName}` : `${who} removed ${targetName}`;
          }
          if (prev === 'knock') return `${targetName} withdrew their request to join`;
          return prev === 'invite' ? `${targetName} declined the invitation` : `${targetName} left`;
        case 'ban':
          return `${who} banned ${targetName}`;
        default:
          return `${targetName} changed membership`;
      }
    }
    default:
      return `${who} changed ${e.type}`;
  }
}

export function plainBody(e: MatrixEvent): string {
  if (e.unsigned?.redacted_because) return 'Message deleted';
  if (e.type === 'm.room.encrypted') return 'Encrypted message';
  return typeof e.content.body === 'string' ? e.content.body : '';
}
