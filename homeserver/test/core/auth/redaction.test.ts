import { mayApplyRedaction, redactsOf } from '../../../src/core/auth/index.js';
import { ALICE, ALL_VERSIONS, allowed, BOB, CAROL, forVersions, MOD, rejected, standardPowerLevels, standardRoom } from './builder.js';

forVersions(['10'], 'redaction: redacts is the top-level property', (t, v) => {
  t.is(redactsOf({ content: { redacts: '$inContent' }, redacts: '$top' }, v), '$top');
  t.is(redactsOf({ content: { redacts: '$inContent' } }, v), undefined);
});

forVersions(['11', '12'], 'redaction: redacts is in content', (t, v) => {
  t.is(redactsOf({ content: { redacts: '$inContent' }, redacts: '$top' }, v), '$inContent');
  t.is(redactsOf({ content: {}, redacts: '$top' }, v), undefined);
});

/** A redaction by `sender` of `target`, with `redacts` where the version keeps it. */
function redactionOf(room: ReturnType<typeof standardRoom>, sender: string, targetId: string) {
  return room.event({ type: 'm.room.redaction', sender, content: { redacts: targetId }, redacts: targetId });
}

forVersions(ALL_VERSIONS, 'redaction handling: applied when the sender reaches the redact level', (t, v) => {
  const room = standardRoom(v.id);
  const target = room.event({ type: 'm.room.message', sender: CAROL, content: { body: 'spam' } });
  allowed(t, mayApplyRedaction(redactionOf(room, MOD, target.event_id), target, room.authState(), v));
  allowed(t, mayApplyRedaction(redactionOf(room, ALICE, target.event_id), target, room.authState(), v));
});

forVersions(ALL_VERSIONS, 'redaction handling: applied when the sender is on the original sender\'s server', (t, v) => {
  const room = standardRoom(v.id);
  const own = room.event({ type: 'm.room.message', sender: BOB, content: { body: 'oops' } });
  allowed(t, mayApplyRedaction(redactionOf(room, BOB, own.event_id), own, room.authState(), v));
  // Same server, different user: the server vouches for its own users' events.
  allowed(t, mayApplyRedaction(redactionOf(room, BOB, own.event_id), { ...own, sender: '@other:b.example' }, room.authState(), v));
});

forVersions(ALL_VERSIONS, 'redaction handling: not applied below the redact level across servers', (t, v) => {
  const room = standardRoom(v.id);
  const target = room.event({ type: 'm.room.message', sender: ALICE, content: { body: 'hi' } });
  rejected(t, mayApplyRedaction(redactionOf(room, BOB, target.event_id), target, room.authState(), v), /redact level/);
  room.powerLevels(standardPowerLevels(v.id, { redact: 60 }));
  rejected(t, mayApplyRedaction(redactionOf(room, MOD, target.event_id), target, room.authState(), v), /redact level/);
});

forVersions(ALL_VERSIONS, 'redaction handling: not applied to an event it does not name or in another room', (t, v) => {
  const room = standardRoom(v.id);
  const target = room.event({ type: 'm.room.message', sender: BOB, content: {} });
  rejected(t, mayApplyRedaction(redactionOf(room, MOD, '$other'), target, room.authState(), v), /does not name/);
  rejected(t, mayApplyRedaction(redactionOf(room, MOD, target.event_id), { ...target, room_id: '!x:c.example' }, room.authState(), v), /another room/);
});

forVersions(['12'], 'redaction handling: creators always reach the redact level', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(standardPowerLevels(v.id, { redact: 9007199254740991 }));
  const target = room.event({ type: 'm.room.message', sender: MOD, content: {} });
  allowed(t, mayApplyRedaction(redactionOf(room, ALICE, target.event_id), target, room.authState(), v));
});
