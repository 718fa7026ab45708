import test from 'ava';
import { registerUser, txn } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

const r = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

/**
 * The whole client flow over plain HTTP: two users register, create a room, invite, join, talk,
 * react, edit, redact, and page back through it all.
 */
test('two users: create, invite, join, talk, react, edit, redact, paginate back', async (t) => {
  const s = await startTestServer(t, { HS_OPEN_REGISTRATION: '1' });
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');

  const created = await alice.call('POST', '/_matrix/client/v3/createRoom', { name: 'Flow', preset: 'private_chat' });
  t.is(created.status, 200);
  const room = created.body.room_id as string;
  t.is((await alice.call('POST', `${r(room)}/invite`, { user_id: bob.userId })).status, 200);
  t.is((await bob.call('POST', `${r(room)}/join`, {})).status, 200);

  const hello = (await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'hello bob' })).body.event_id;
  const reply = (
    await bob.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, {
      msgtype: 'm.text',
      body: 'hi alice',
      'm.relates_to': { 'm.in_reply_to': { event_id: hello } },
    })
  ).body.event_id;

  const reaction = await bob.call('PUT', `${r(room)}/send/m.reaction/${txn()}`, { 'm.relates_to': { rel_type: 'm.annotation', event_id: hello, key: '👍' } });
  t.is(reaction.status, 200);
  const duplicate = await bob.call('PUT', `${r(room)}/send/m.reaction/${txn()}`, { 'm.relates_to': { rel_type: 'm.annotation', event_id: hello, key: '👍' } });
  t.is(duplicate.status, 400);
  t.is(duplicate.body.errcode, 'M_DUPLICATE_ANNOTATION');
  t.is((await alice.call('PUT', `${r(room)}/send/m.reaction/${txn()}`, { 'm.relates_to': { rel_type: 'm.annotation', event_id: hello, key: '👍' } })).status, 200);

  const edit = await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, {
    msgtype: 'm.text',
    body: '* hello bob!',
    'm.new_content': { msgtype: 'm.text', body: 'hello bob!' },
    'm.relates_to': { rel_type: 'm.replace', event_id: hello },
  });
  t.is(edit.status, 200);
  // An edit by someone else is not a valid replacement and is not aggregated.
  await bob.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, {
    msgtype: 'm.text',
    body: '* hijack',
    'm.new_content': { msgtype: 'm.text', body: 'hijack' },
    'm.relates_to': { rel_type: 'm.replace', event_id: hello },
  });
  const original = await bob.call('GET', `${r(room)}/event/${encodeURIComponent(hello)}`);
  t.is(original.body.content.body, 'hello bob', 'the original content stays');
  t.is(original.body.unsigned['m.relations']['m.replace'].event_id, edit.body.event_id);
  t.is(original.body.unsigned['m.relations']['m.replace'].content['m.new_content'].body, 'hello bob!');

  const oops = (await bob.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'wrong room, sorry' })).body.event_id;
  t.is((await bob.call('PUT', `${r(room)}/redact/${encodeURIComponent(oops)}/${txn()}`, { reason: 'mistake' })).status, 200);

  // Page back from the end in small steps: everything once, newest first, redaction applied.
  const seen: any[] = [];
  let from: string | undefined;
  for (let i = 0; i < 20; i++) {
    const q = new URLSearchParams({ dir: 'b', limit: '3', ...(from ? { from } : {}) });
    const page = await alice.call('GET', `${r(room)}/messages?${q}`);
    t.is(page.status, 200);
    seen.push(...page.body.chunk);
    if (!page.body.end) break;
    from = page.body.end;
  }
  const ids = seen.map((e) => e.event_id);
  t.is(new Set(ids).size, ids.length, 'no event twice');
  t.is(seen[seen.length - 1].type, 'm.room.create');
  t.true(ids.includes(hello) && ids.includes(reply) && ids.includes(reaction.body.event_id) && ids.includes(edit.body.event_id));
  const redacted = seen.find((e) => e.event_id === oops);
  t.deepEqual(redacted.content, {});
  t.is(redacted.unsigned.redacted_because.content.reason, 'mistake');
  const order = seen.map((e) => e.origin_server_ts);
  t.deepEqual(order, [...order].sort((a, b) => b - a), 'newest first');
});
