import { ALICE, ALL_VERSIONS, allowed, BOB, CAROL, forVersions, MOD, rejected, Room, standardPowerLevels, standardRoom } from './builder.js';

const join = (user: string, content: Record<string, string> = {}) => ({
  type: 'm.room.member',
  sender: user,
  state_key: user,
  content: { membership: 'join', ...content },
});

forVersions(ALL_VERSIONS, 'member: rejected without a state_key', (t, v) => {
  const room = standardRoom(v.id, 'public');
  rejected(t, room.check({ type: 'm.room.member', sender: CAROL, content: { membership: 'join' } }), /state_key/);
});

forVersions(ALL_VERSIONS, 'member: rejected without content.membership', (t, v) => {
  const room = standardRoom(v.id, 'public');
  rejected(t, room.check({ type: 'm.room.member', sender: CAROL, state_key: CAROL, content: { displayname: 'C' } }), /membership/);
});

forVersions(ALL_VERSIONS, 'member: allowed with a state_key and content.membership', (t, v) => {
  allowed(t, standardRoom(v.id, 'public').check(join(CAROL)));
});

forVersions(ALL_VERSIONS, 'member: rejected for an unknown membership', (t, v) => {
  const room = standardRoom(v.id, 'public');
  rejected(t, room.check({ type: 'm.room.member', sender: CAROL, state_key: CAROL, content: { membership: 'wander' } }), /unknown membership/);
  rejected(t, room.check({ type: 'm.room.member', sender: CAROL, state_key: CAROL, content: { membership: 5 } }), /unknown membership/);
});

forVersions(ALL_VERSIONS, 'member join_authorised_via_users_server: rejected when not signed by that user\'s server', (t, v) => {
  const room = standardRoom(v.id, 'restricted');
  const event = { ...room.event(join(CAROL, { join_authorised_via_users_server: MOD })), signatures: { 'c.example': { 'ed25519:1': 'sig' } } };
  rejected(t, room.check(event), /signed/);
  rejected(t, room.check(join(CAROL, { join_authorised_via_users_server: MOD }), { isSignedBy: () => false }), /signed/);
});

forVersions(ALL_VERSIONS, 'member join_authorised_via_users_server: allowed when signed by that user\'s server', (t, v) => {
  const room = standardRoom(v.id, 'restricted');
  const event = {
    ...room.event(join(CAROL, { join_authorised_via_users_server: MOD })),
    signatures: { 'c.example': { 'ed25519:1': 'sig' }, 'b.example': { 'ed25519:1': 'sig' } },
  };
  allowed(t, room.check(event));
  let asked: string | undefined;
  allowed(t, room.check(join(CAROL, { join_authorised_via_users_server: MOD }), { isSignedBy: (_e, server) => (asked = server) === 'b.example' }));
  t.is(asked, 'b.example');
});

forVersions(ALL_VERSIONS, 'member join: allowed for the creator when the only previous event is the create event', (t, v) => {
  const room = new Room(v.id);
  allowed(t, room.check({ ...join(ALICE), prev_events: [room.create.event_id] }));
});

forVersions(ALL_VERSIONS, 'member join: rejected for anyone else when the only previous event is the create event', (t, v) => {
  const room = new Room(v.id);
  rejected(t, room.check({ ...join(BOB), prev_events: [room.create.event_id] }), /join rule/);
  // Not the first event after the create: the ordinary rules apply, and there are no join rules.
  rejected(t, room.check({ ...join(ALICE), prev_events: [room.create.event_id, '$other'] }), /join rule/);
});

forVersions(['10'], 'member join: the creator is content.creator', (t, v) => {
  const room = new Room(v.id, { creator: BOB });
  allowed(t, room.check({ ...join(BOB), prev_events: [room.create.event_id] }));
  rejected(t, room.check({ ...join(ALICE), prev_events: [room.create.event_id] }));
});

forVersions(['11', '12'], 'member join: the creator is the create event sender, content.creator is ignored', (t, v) => {
  const room = new Room(v.id, { creator: BOB });
  allowed(t, room.check({ ...join(ALICE), prev_events: [room.create.event_id] }));
  rejected(t, room.check({ ...join(BOB), prev_events: [room.create.event_id] }));
});

forVersions(['12'], 'member join: additional creators do not get the first join', (t, v) => {
  const room = new Room(v.id, { additional_creators: [BOB] });
  rejected(t, room.check({ ...join(BOB), prev_events: [room.create.event_id] }));
});

forVersions(ALL_VERSIONS, 'member join: rejected when the sender does not match the state_key', (t, v) => {
  const room = standardRoom(v.id, 'public');
  rejected(t, room.check({ ...join(CAROL), sender: BOB }), /does not match/);
});

forVersions(ALL_VERSIONS, 'member join: allowed when the sender matches the state_key', (t, v) => {
  allowed(t, standardRoom(v.id, 'public').check({ ...join(CAROL), sender: CAROL }));
});

forVersions(ALL_VERSIONS, 'member join: rejected when the sender is banned', (t, v) => {
  const room = standardRoom(v.id, 'public');
  room.member(CAROL, 'ban');
  rejected(t, room.check(join(CAROL)), /banned/);
});

forVersions(ALL_VERSIONS, 'member join: allowed when the sender is not banned from a public room', (t, v) => {
  const room = standardRoom(v.id, 'public');
  room.member(CAROL, 'leave');
  allowed(t, room.check(join(CAROL)));
});

for (const rule of ['invite', 'knock'] as const) {
  forVersions(ALL_VERSIONS, `member join: join rule ${rule} allows invited or joined users`, (t, v) => {
    const room = standardRoom(v.id, rule);
    room.member(CAROL, 'invite');
    allowed(t, room.check(join(CAROL)));
    allowed(t, room.check(join(BOB, { displayname: 'Bob' })));
  });

  forVersions(ALL_VERSIONS, `member join: join rule ${rule} rejects users who are not invited`, (t, v) => {
    const room = standardRoom(v.id, rule);
    rejected(t, room.check(join(CAROL)), /not invited/);
    room.member(CAROL, 'knock');
    rejected(t, room.check(join(CAROL)), /not invited/);
  });
}

for (const rule of ['restricted', 'knock_restricted'] as const) {
  forVersions(ALL_VERSIONS, `member join: join rule ${rule} allows invited or joined users without an authoriser`, (t, v) => {
    const room = standardRoom(v.id, rule);
    room.member(CAROL, 'invite');
    allowed(t, room.check(join(CAROL)));
    allowed(t, room.check(join(BOB)));
  });

  forVersions(ALL_VERSIONS, `member join: join rule ${rule} allows a join authorised by a joined user who may invite`, (t, v) => {
    const room = standardRoom(v.id, rule);
    allowed(t, room.check(join(CAROL, { join_authorised_via_users_server: MOD })));
    allowed(t, room.check(join(CAROL, { join_authorised_via_users_server: ALICE })));
  });

  forVersions(ALL_VERSIONS, `member join: join rule ${rule} rejects a join without join_authorised_via_users_server`, (t, v) => {
    const room = standardRoom(v.id, rule);
    rejected(t, room.check(join(CAROL)), /no authorising user/);
  });

  forVersions(ALL_VERSIONS, `member join: join rule ${rule} rejects an authorising user who is not joined`, (t, v) => {
    const room = standardRoom(v.id, rule);
    room.member(MOD, 'leave');
    rejected(t, room.check(join(CAROL, { join_authorised_via_users_server: MOD })), /not joined/);
    rejected(t, room.check(join(CAROL, { join_authorised_via_users_server: '@nobody:b.example' })), /not joined/);
  });

  forVersions(ALL_VERSIONS, `member join: join rule ${rule} rejects an authorising user below the invite level`, (t, v) => {
    const room = standardRoom(v.id, rule);
    room.powerLevels(standardPowerLevels(v.id, { invite: 60 }));
    rejected(t, room.check(join(CAROL, { join_authorised_via_users_server: MOD })), /may not invite/);
  });

  forVersions(ALL_VERSIONS, `member join: join rule ${rule} rejects a banned user even with an authoriser`, (t, v) => {
    const room = standardRoom(v.id, rule);
    room.member(CAROL, 'ban');
    rejected(t, room.check(join(CAROL, { join_authorised_via_users_server: MOD })), /banned/);
  });
}

forVersions(['12'], 'member join: a creator authorises restricted joins with infinite power', (t, v) => {
  const room = standardRoom(v.id, 'restricted');
  room.powerLevels(standardPowerLevels(v.id, { invite: 9007199254740991 }));
  allowed(t, room.check(join(CAROL, { join_authorised_via_users_server: ALICE })));
  rejected(t, room.check(join(CAROL, { join_authorised_via_users_server: MOD })), /may not invite/);
});

forVersions(ALL_VERSIONS, 'member join: join rule public allows anyone', (t, v) => {
  allowed(t, standardRoom(v.id, 'public').check(join(CAROL)));
});

forVersions(ALL_VERSIONS, 'member join: other join rules reject', (t, v) => {
  rejected(t, standardRoom(v.id, 'private').check(join(CAROL)), /does not allow/);
  const noRules = standardRoom(v.id).remove('m.room.join_rules', '');
  noRules.member(CAROL, 'invite');
  rejected(t, noRules.check(join(CAROL)), /does not allow/);
});
