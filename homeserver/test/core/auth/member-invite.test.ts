import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { JsonObject } from '../../../src/core/json.js';
import { canonicalJson } from '../../../src/core/canonical-json.js';
import { ALICE, ALL_VERSIONS, allowed, BOB, CAROL, forVersions, MOD, rejected, standardPowerLevels, standardRoom, type Room } from './builder.js';

const invite = (sender: string, target: string, content: JsonObject = {}) => ({
  type: 'm.room.member',
  sender,
  state_key: target,
  content: { membership: 'invite', ...content },
});

forVersions(ALL_VERSIONS, 'member invite: allowed when a joined sender reaches the invite level', (t, v) => {
  const room = standardRoom(v.id);
  allowed(t, room.check(invite(BOB, CAROL)));
  room.member(CAROL, 'leave');
  allowed(t, room.check(invite(BOB, CAROL)));
});

forVersions(ALL_VERSIONS, 'member invite: rejected when the sender is not joined', (t, v) => {
  const room = standardRoom(v.id);
  room.member(CAROL, 'invite');
  rejected(t, room.check(invite(CAROL, '@erin:c.example')), /not joined/);
});

forVersions(ALL_VERSIONS, 'member invite: rejected when the target is joined', (t, v) => {
  rejected(t, standardRoom(v.id).check(invite(BOB, MOD)), /joined/);
});

forVersions(ALL_VERSIONS, 'member invite: rejected when the target is banned', (t, v) => {
  const room = standardRoom(v.id);
  room.member(CAROL, 'ban');
  rejected(t, room.check(invite(ALICE, CAROL)), /banned/);
});

forVersions(ALL_VERSIONS, 'member invite: rejected when the sender is below the invite level', (t, v) => {
  const room = standardRoom(v.id);
  room.powerLevels(standardPowerLevels(v.id, { invite: 50 }));
  rejected(t, room.check(invite(BOB, CAROL)), /invite level/);
  allowed(t, room.check(invite(MOD, CAROL)));
});

// --- third-party invites -------------------------------------------------------------------

interface Identity {
  publicKey: string;
  privateKey: KeyObject;
}

function identityServerKey(): Identity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x as string;
  // Identity servers publish standard unpadded base64; JWK gives the URL-safe alphabet.
  return { publicKey: x.replace(/-/g, '+').replace(/_/g, '/'), privateKey };
}

function signBlob(blob: JsonObject, key: Identity, server = 'id.example', keyId = 'ed25519:0'): JsonObject {
  const signature = sign(null, Buffer.from(canonicalJson(blob)), key.privateKey).toString('base64').replace(/=+$/, '');
  return { ...blob, signatures: { [server]: { [keyId]: signature } } };
}

/** A room where bob issued a third-party invite for token `tok` with the given key content. */
function roomWithThirdPartyInvite(id: string, keyContent: JsonObject): Room {
  const room = standardRoom(id);
  room.put(room.event({ type: 'm.room.third_party_invite', sender: BOB, state_key: 'tok', content: { display_name: 'c…', ...keyContent } }));
  return room;
}

function thirdPartyInvite(sender: string, target: string, signed: JsonObject | undefined) {
  return invite(sender, target, { third_party_invite: signed === undefined ? { display_name: 'c…' } : { display_name: 'c…', signed } });
}

forVersions(ALL_VERSIONS, 'member third-party invite: allowed when a signature matches public_key', (t, v) => {
  const key = identityServerKey();
  const room = roomWithThirdPartyInvite(v.id, { public_key: key.publicKey });
  allowed(t, room.check(thirdPartyInvite(BOB, CAROL, signBlob({ mxid: CAROL, token: 'tok' }, key))));
});

forVersions(ALL_VERSIONS, 'member third-party invite: allowed when a signature matches one of public_keys', (t, v) => {
  const key = identityServerKey();
  const other = identityServerKey();
  const room = roomWithThirdPartyInvite(v.id, {
    public_key: other.publicKey,
    public_keys: [{ public_key: other.publicKey }, { public_key: key.publicKey, key_validity_url: 'https://id.example/isvalid' }],
  });
  allowed(t, room.check(thirdPartyInvite(BOB, CAROL, signBlob({ mxid: CAROL, token: 'tok', sender: BOB }, key))));
});

forVersions(ALL_VERSIONS, 'member third-party invite: the sender need not be joined', (t, v) => {
  const key = identityServerKey();
  const room = standardRoom(v.id);
  room.member(BOB, 'leave');
  room.put(room.event({ type: 'm.room.third_party_invite', sender: BOB, state_key: 'tok', content: { public_key: key.publicKey } }));
  allowed(t, room.check(thirdPartyInvite(BOB, CAROL, signBlob({ mxid: CAROL, token: 'tok' }, key))));
});

forVersions(ALL_VERSIONS, 'member third-party invite: rejected when the target is banned', (t, v) => {
  const key = identityServerKey();
  const room = roomWithThirdPartyInvite(v.id, { public_key: key.publicKey });
  room.member(CAROL, 'ban');
  rejected(t, room.check(thirdPartyInvite(BOB, CAROL, signBlob({ mxid: CAROL, token: 'tok' }, key))), /banned/);
});

forVersions(ALL_VERSIONS, 'member third-party invite: rejected without signed', (t, v) => {
  const key = identityServerKey();
  const room = roomWithThirdPartyInvite(v.id, { public_key: key.publicKey });
  rejected(t, room.check(thirdPartyInvite(BOB, CAROL, undefined)), /no signed/);
  rejected(t, room.check(invite(BOB, CAROL, { third_party_invite: 'signed' })), /no signed/);
});

forVersions(ALL_VERSIONS, 'member third-party invite: rejected when signed lacks mxid or token', (t, v) => {
  const key = identityServerKey();
  const room = roomWithThirdPartyInvite(v.id, { public_key: key.publicKey });
  rejected(t, room.check(thirdPartyInvite(BOB, CAROL, signBlob({ token: 'tok' }, key))), /mxid or token/);
  rejected(t, room.check(thirdPartyInvite(BOB, CAROL, signBlob({ mxid: CAROL }, key))), /mxid or token/);
});

forVersions(ALL_VERSIONS, 'member third-party invite: rejected when mxid does not match the state_key', (t, v) => {
  const key = identityServerKey();
  const room = roomWithThirdPartyInvite(v.id, { public_key: key.publicKey });
  rejected(t, room.check(thirdPartyInvite(BOB, CAROL, signBlob({ mxid: '@erin:c.example', token: 'tok' }, key))), /mxid does not match/);
});

forVersions(ALL_VERSIONS, 'member third-party invite: rejected when no m.room.third_party_invite has the token', (t, v) => {
  const key = identityServerKey();
  const room = roomWithThirdPartyInvite(v.id, { public_key: key.publicKey });
  rejected(t, room.check(thirdPartyInvite(BOB, CAROL, signBlob({ mxid: CAROL, token: 'other' }, key))), /no m.room.third_party_invite/);
});

forVersions(ALL_VERSIONS, 'member third-party invite: rejected when the sender differs from the m.room.third_party_invite sender', (t, v) => {
  const key = identityServerKey();
  const room = roomWithThirdPartyInvite(v.id, { public_key: key.publicKey });
  rejected(t, room.check(thirdPartyInvite(MOD, CAROL, signBlob({ mxid: CAROL, token: 'tok' }, key))), /sender differs/);
});

forVersions(ALL_VERSIONS, 'member third-party invite: rejected when no signature matches a public key', (t, v) => {
  const key = identityServerKey();
  const stranger = identityServerKey();
  const room = roomWithThirdPartyInvite(v.id, { public_key: key.publicKey, public_keys: [{ public_key: key.publicKey }] });
  rejected(t, room.check(thirdPartyInvite(BOB, CAROL, signBlob({ mxid: CAROL, token: 'tok' }, stranger))), /no signature/);
  // A genuine signature over different content does not count either.
  const tampered = { ...signBlob({ mxid: CAROL, token: 'tok' }, key), extra: 'added later' };
  rejected(t, room.check(thirdPartyInvite(BOB, CAROL, tampered)), /no signature/);
  // Only ed25519 signatures are considered.
  rejected(t, room.check(thirdPartyInvite(BOB, CAROL, signBlob({ mxid: CAROL, token: 'tok' }, key, 'id.example', 'curve25519:0'))), /no signature/);
  // No signatures at all.
  rejected(t, room.check(thirdPartyInvite(BOB, CAROL, { mxid: CAROL, token: 'tok' })), /no signature/);
});

forVersions(ALL_VERSIONS, 'member third-party invite: rejected when the invite event has no usable key', (t, v) => {
  const key = identityServerKey();
  const room = roomWithThirdPartyInvite(v.id, { public_key: 'not base64!', public_keys: [{ public_key: 'AAAA' }, 'junk'] });
  rejected(t, room.check(thirdPartyInvite(BOB, CAROL, signBlob({ mxid: CAROL, token: 'tok' }, key))), /no signature/);
});
