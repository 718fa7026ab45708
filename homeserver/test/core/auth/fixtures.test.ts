import test from 'ava';
import { checkAuthEventsList, checkEventAuth } from '../../../src/core/auth/index.js';
import { stateKey, type RoomEvent } from '../../../src/core/events.js';
import { loadVector } from '../../helpers/vectors.js';
import { rv } from './builder.js';

interface StateResCase {
  name: string;
  room_version: string;
  pdu_files: string[];
}

const { cases } = loadVector<{ cases: StateResCase[] }>('state-res/cases.json');

/**
 * The state-resolution fixtures (ruma's) are rooms built by servers that follow the rules, so
 * every event must pass auth against its own auth events: a known-answer check of the rules on
 * data nobody here wrote.
 */
for (const c of cases) {
  test(`v${c.room_version} fixtures ${c.name}: every event passes auth against its own auth events`, (t) => {
    const version = rv(c.room_version);
    const events = new Map<string, RoomEvent>();
    for (const file of c.pdu_files) {
      for (const pdu of loadVector<RoomEvent[]>(`state-res/${file}`)) events.set(pdu.event_id, pdu);
    }
    const create = [...events.values()].find((e) => e.type === 'm.room.create');
    if (!create) return t.fail('no create event');
    t.true(events.size > 3);
    for (const event of events.values()) {
      const authEvents = event.auth_events.map((id) => events.get(id)).filter((e): e is RoomEvent => e !== undefined);
      t.is(authEvents.length, event.auth_events.length, `${event.event_id}: auth events missing from the fixture`);
      const state = new Map(authEvents.map((e) => [stateKey(e.type, e.state_key ?? ''), e]));
      if (!version.createEventInAuthEvents) state.set(stateKey('m.room.create', ''), create);
      t.deepEqual(checkAuthEventsList(event, authEvents, version), { ok: true }, event.event_id);
      t.deepEqual(checkEventAuth(event, { get: (type, key) => state.get(stateKey(type, key)) }, version), { ok: true }, event.event_id);
    }
  });
}
