import type { RoomEvent } from '../events.js';

/**
 * Power events are sorted and authorised before everything else because they can take abilities
 * away. Beyond the spec's list (power levels, join rules, kicks and bans) the create event counts
 * too, as Synapse and ruma do: it only matters when the create event itself is conflicted (a
 * resolution that includes the room's very first state), and agreeing with them there keeps
 * servers converging. Like them, the `m.room.*` singletons count only with an empty state key.
 */
export function isPowerEvent(event: Pick<RoomEvent, 'type' | 'state_key' | 'sender' | 'content'>): boolean {
  switch (event.type) {
    case 'm.room.power_levels':
    case 'm.room.join_rules':
    case 'm.room.create':
      return event.state_key === '';
    case 'm.room.member': {
      const membership = event.content['membership'];
      return (
        (membership === 'leave' || membership === 'ban') &&
        typeof event.state_key === 'string' &&
        event.state_key !== event.sender
      );
    }
    default:
      return false;
  }
}
