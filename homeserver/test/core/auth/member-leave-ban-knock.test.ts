import { ALICE, ALL_VERSIONS, allowed, BOB, CAROL, forVersions, MOD, rejected, standardPowerLevels, standardRoom } from './builder.js';

const member = (sender: string, target: string, membership: string) => ({
  type: 'm.room.member',
  sender,
  state_key: target,
  content: { membership },
});

// --- leave ---------------------------------------------------------------------------------

forVersions(ALL_VERSIONS, 'member leave: allowed for yourself when joined, invited or knocking', (t, v) => {
  const room = standardRoom(v.id, 'knock');
  allowed(t, room.check(member(BOB, BOB, 'leave')));
  room.member(CAROL, 'invite');
  allowed(t, room.check(member(CAROL, CAROL, 'leave')));
  room.member(CAROL, 'knock');
  allowed(t, room.check(member(CAROL, CAROL, 'leave')));
});

forVersions(ALL_VERSIONS, 'member leave: rejected for yourself when already left or banned', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check(member(CAROL, CAROL, 'leave')), /membership is leave/);
  room.member(CAROL, 'ban');
  rejected(t, room.check(member(CAROL, CAROL, 'leave')), /membership is ban/);
});

forVersions(ALL_VERSIONS, 'member leave: rejected when kicking while not joined', (t, v) => {
  const room = standardRoom(v.id);
  room.member(MOD, 'leave');
  rejected(t, room.check(member(MOD, BOB, 'leave')), /not joined/);
});

forVersions(ALL_VERSIONS, 'member leave: rejected when unbanning below the ban level', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(standardPowerLevels(v.id, { ban: 60, kick: 0 }));
  room.member(CAROL, 'ban');
  rejected(t, room.check(member(MOD, CAROL, 'leave')), /ban level/);
});

forVersions(ALL_VERSIONS, 'member leave: allowed when unbanning at the ban and kick levels', (t, v) => {
  const room = standardRoom(v.id);
  room.member(CAROL, 'ban');
  allowed(t, room.check(member(MOD, CAROL, 'leave')));
});

forVersions(ALL_VERSIONS, 'member leave: allowed when kicking a lower user at the kick level', (t, v) => {
  const room = standardRoom(v.id);
  allowed(t, room.check(member(MOD, BOB, 'leave')));
  allowed(t, room.check(member(ALICE, MOD, 'leave')));
  room.member(CAROL, 'invite');
  allowed(t, room.check(member(MOD, CAROL, 'leave')));
});

forVersions(ALL_VERSIONS, 'member leave: rejected when kicking below the kick level', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(standardPowerLevels(v.id, { kick: 75 }));
  rejected(t, room.check(member(MOD, BOB, 'leave')), /kick level/);
});

forVersions(ALL_VERSIONS, 'member leave: rejected when kicking a user at or above your level', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check(member(MOD, ALICE, 'leave')), /not above the target/);
  room.powerLevels(standardPowerLevels(v.id, { users: { ...(standardPowerLevels(v.id)['users'] as object), [BOB]: 50 } }));
  rejected(t, room.check(member(MOD, BOB, 'leave')), /not above the target/);
});

forVersions(['12'], 'member leave: a creator cannot be kicked, not even by another creator', (t, v) => {
  const room = standardRoom(v.id, 'invite', { additional_creators: [BOB] });
  room.powerLevels(standardPowerLevels(v.id, { users: { [MOD]: 50 } }));
  rejected(t, room.check(member(MOD, BOB, 'leave')), /not above the target/);
  rejected(t, room.check(member(ALICE, BOB, 'leave')), /not above the target/);
  allowed(t, room.check(member(BOB, MOD, 'leave')));
});

// --- ban -----------------------------------------------------------------------------------

forVersions(ALL_VERSIONS, 'member ban: allowed at the ban level against a lower user', (t, v) => {
  const room = standardRoom(v.id);
  allowed(t, room.check(member(MOD, BOB, 'ban')));
  allowed(t, room.check(member(MOD, CAROL, 'ban')));
  allowed(t, room.check(member(ALICE, MOD, 'ban')));
});

forVersions(ALL_VERSIONS, 'member ban: rejected when the sender is not joined', (t, v) => {
  const room = standardRoom(v.id);
  room.member(MOD, 'leave');
  rejected(t, room.check(member(MOD, BOB, 'ban')), /not joined/);
});

forVersions(ALL_VERSIONS, 'member ban: rejected below the ban level', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(standardPowerLevels(v.id, { ban: 75 }));
  rejected(t, room.check(member(MOD, BOB, 'ban')), /ban level/);
});

forVersions(ALL_VERSIONS, 'member ban: rejected against a user at or above the sender', (t, v) => {
  const room = standardRoom(v.id);
  rejected(t, room.check(member(MOD, ALICE, 'ban')), /not above the target/);
  rejected(t, room.check(member(MOD, MOD, 'ban')), /not above the target/);
});

forVersions(['12'], 'member ban: creators cannot be banned', (t, v) => {
  const room = standardRoom(v.id, 'invite', { additional_creators: [BOB] });
  room.powerLevels(standardPowerLevels(v.id, { users: { [MOD]: 50 } }));
  rejected(t, room.check(member(ALICE, BOB, 'ban')), /not above the target/);
  allowed(t, room.check(member(BOB, MOD, 'ban')));
});

// --- knock ---------------------------------------------------------------------------------

for (const rule of ['knock', 'knock_restricted'] as const) {
  forVersions(ALL_VERSIONS, `member knock: allowed when the join rule is ${rule}`, (t, v) => {
    const room = standardRoom(v.id, rule);
    allowed(t, room.check(member(CAROL, CAROL, 'knock')));
    room.member(CAROL, 'leave');
    allowed(t, room.check(member(CAROL, CAROL, 'knock')));
  });
}

forVersions(ALL_VERSIONS, 'member knock: rejected when the join rule is neither knock nor knock_restricted', (t, v) => {
  for (const rule of ['public', 'invite', 'restricted']) {
    rejected(t, standardRoom(v.id, rule).check(member(CAROL, CAROL, 'knock')), /does not allow knocking/);
  }
  rejected(t, standardRoom(v.id).remove('m.room.join_rules', '').check(member(CAROL, CAROL, 'knock')), /does not allow knocking/);
});

forVersions(ALL_VERSIONS, 'member knock: rejected when the sender does not match the state_key', (t, v) => {
  rejected(t, standardRoom(v.id, 'knock').check(member(BOB, CAROL, 'knock')), /does not match/);
});

forVersions(ALL_VERSIONS, 'member knock: rejected when the sender is banned, invited or joined', (t, v) => {
  const room = standardRoom(v.id, 'knock');
  rejected(t, room.check(member(BOB, BOB, 'knock')), /membership is join/);
  room.member(CAROL, 'invite');
  rejected(t, room.check(member(CAROL, CAROL, 'knock')), /membership is invite/);
  room.member(CAROL, 'ban');
  rejected(t, room.check(member(CAROL, CAROL, 'knock')), /membership is ban/);
});
