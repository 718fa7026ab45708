import test from 'ava';
import { accessToken, DESKTOP, browserForFile, login, makePng, newPage, PHONE, register, screenshot, send, startDm, startServer } from './helpers.js';

const browser = browserForFile(test);

test.serial('an edited last message shows its new text in the room list; threads open beside the room', async (t) => {
  const server = await startServer(t);
  const alice = await newPage(browser(), t, DESKTOP);
  const bob = await newPage(browser(), t, DESKTOP);
  await register(alice.page, server.url, 'alice');
  await register(bob.page, server.url, 'bob');
  await startDm(alice.page, bob.page, '@bob:hs.test');

  // The DM is encrypted: the edit's relation is in the clear, its text is not.
  await send(alice.page, 'first draft');
  await bob.page.locator('.event .body', { hasText: 'first draft' }).waitFor();
  const mine = alice.page.locator('.event', { hasText: 'first draft' });
  await mine.hover();
  await mine.getByRole('button', { name: 'Edit' }).click();
  await alice.page.getByLabel('Message', { exact: true }).fill('final words');
  await alice.page.getByLabel('Message', { exact: true }).press('Enter');
  await bob.page.locator('.event', { hasText: 'final words' }).locator('.edited').waitFor();
  const preview = bob.page.locator('.room-item .preview');
  await preview.filter({ hasText: 'alice: final words' }).waitFor();
  t.false((await preview.innerText()).includes('*'), 'not the edit fallback');
  t.is(await alice.page.locator('.room-item .preview').innerText(), 'You: final words');

  // Bob answers in a thread on Alice's message.
  const root = bob.page.locator('.event', { hasText: 'final words' });
  await root.hover();
  await root.getByRole('button', { name: 'Reply in thread' }).click();
  const panel = bob.page.getByRole('complementary', { name: 'Thread' });
  await panel.locator('.event', { hasText: 'final words' }).waitFor();
  await send(bob.page, 'a reply in the thread', 'Reply in thread');
  await panel.locator('.event:not(.pending)', { hasText: 'a reply in the thread' }).waitFor();
  await screenshot(bob.page, 'desktop-thread');

  // Alice sees a summary on the root, not the reply in the main timeline; it opens the thread.
  const summary = alice.page.getByRole('button', { name: 'Open thread, 1 reply' });
  await summary.waitFor();
  t.is(await alice.page.getByRole('log', { name: 'Messages' }).locator('.event .body', { hasText: 'a reply in the thread' }).count(), 0);
  await summary.click();
  const alicePanel = alice.page.getByRole('complementary', { name: 'Thread' });
  await alicePanel.locator('.event', { hasText: 'a reply in the thread' }).waitFor();
  await send(alice.page, 'and mine', 'Reply in thread');
  await bob.page.getByRole('complementary', { name: 'Thread' }).locator('.event', { hasText: 'and mine' }).waitFor();
  await alice.page.getByRole('button', { name: 'Open thread, 2 replies' }).waitFor();
  // On a phone the thread covers the room, with its own way back.
  await alice.page.setViewportSize(PHONE);
  await alicePanel.getByRole('button', { name: 'Close thread' }).waitFor();
  await screenshot(alice.page, 'phone-thread');

  // On the wire: thread replies relate to the root with m.thread.
  const roomId = decodeURIComponent(new URL(alice.page.url()).pathname.split('/').pop()!);
  const rootId = await alice.page.locator('.event', { hasText: 'final words' }).first().getAttribute('data-event-id');
  const res = await fetch(`${server.url}/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/relations/${encodeURIComponent(rootId!)}/m.thread`, {
    headers: { Authorization: `Bearer ${await accessToken(alice.page)}` },
  });
  t.is(((await res.json()) as { chunk: unknown[] }).chunk.length, 2);
  t.pass();
});

test.serial('search finds through the server what this device never loaded, pages on, and opens it', async (t) => {
  const server = await startServer(t);
  const first = await newPage(browser(), t, DESKTOP);
  await register(first.page, server.url, 'dora');
  await first.page.getByRole('button', { name: 'New group' }).click();
  await first.page.getByLabel('Name').fill('Field notes');
  // Unencrypted: the server can read it, so the server searches it.
  await first.page.getByLabel(/End-to-end/).uncheck();
  await first.page.getByRole('button', { name: 'Create group' }).click();
  await first.page.waitForURL(/\/room\//);
  const roomId = decodeURIComponent(new URL(first.page.url()).pathname.split('/').pop()!);
  const auth = { Authorization: `Bearer ${await accessToken(first.page)}` };
  let txn = 0;
  const post = async (content: Record<string, unknown>): Promise<string> => {
    const res = await server.request('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${txn++}`, content, auth);
    t.is(res.status, 200);
    return res.body.event_id as string;
  };
  // An old message with a thread reply, then far more than a sign-in's first sync brings.
  const rootId = await post({ msgtype: 'm.text', body: 'zebra crossing at dawn' });
  await post({ msgtype: 'm.text', body: 'a quiet giraffe answer', 'm.relates_to': { rel_type: 'm.thread', event_id: rootId, is_falling_back: true, 'm.in_reply_to': { event_id: rootId } } });
  for (let i = 0; i < 45; i++) await post({ msgtype: 'm.text', body: `filler note ${i}` });

  // A new session in a fresh browser: it holds only the latest messages, and has not opened the room.
  const fresh = await newPage(browser(), t, DESKTOP);
  await login(fresh.page, server.url, 'dora');
  await fresh.page.locator('.room-item', { hasText: 'Field notes' }).waitFor();
  await fresh.page.getByRole('button', { name: 'Search messages' }).click();
  const all = fresh.page.getByLabel('Search all conversations');
  await all.fill('zebra');
  const zebra = fresh.page.locator('.search-result', { hasText: 'zebra crossing at dawn' });
  await zebra.waitFor();
  t.is(await zebra.locator('mark').first().innerText(), 'zebra');

  // Results come a page at a time, newest first; "Load more results" brings the next page.
  await all.fill('filler');
  const results = fresh.page.locator('.search-result');
  await fresh.page.getByRole('button', { name: 'Load more results' }).waitFor();
  t.is(await results.count(), 20);
  t.is(await results.first().locator('mark').first().innerText(), 'filler');
  t.true((await results.first().innerText()).includes('filler note 44'));
  await fresh.page.getByRole('button', { name: 'Load more results' }).click();
  await results.nth(39).waitFor();
  await fresh.page.getByRole('button', { name: 'Load more results' }).click();
  await results.nth(44).waitFor();
  await fresh.page.getByRole('button', { name: 'Load more results' }).waitFor({ state: 'detached' });
  t.is(await results.count(), 45);

  // A result opens the room at the message: older history is paged in until it is there.
  await all.fill('zebra');
  await zebra.click();
  await fresh.page.waitForURL(/\?event=/);
  await fresh.page.locator('.event.highlighted', { hasText: 'zebra crossing at dawn' }).waitFor();

  // Searching within the room; a thread reply found opens its thread.
  await fresh.page.getByRole('button', { name: 'Search in this room' }).click();
  await fresh.page.getByLabel('Search messages in this room').fill('giraffe');
  await fresh.page.locator('.search-result', { hasText: 'a quiet giraffe answer' }).click();
  await fresh.page.getByRole('complementary', { name: 'Thread' }).locator('.event', { hasText: 'a quiet giraffe answer' }).waitFor();
  t.pass();
});

test.serial('a group with a picture, listed in the directory; a knock is let in', async (t) => {
  const server = await startServer(t);
  const alice = await newPage(browser(), t, DESKTOP);
  const bob = await newPage(browser(), t, PHONE);
  await register(alice.page, server.url, 'alice');
  await register(bob.page, server.url, 'bob');

  await alice.page.getByRole('button', { name: 'New group' }).click();
  await alice.page.getByLabel('Picture').setInputFiles({ name: 'garden.png', mimeType: 'image/png', buffer: makePng(64, 64, [90, 160, 60]) });
  await alice.page.getByRole('img', { name: 'Group picture preview' }).waitFor();
  await alice.page.getByLabel('Name').fill('Garden club');
  await alice.page.getByLabel('Topic').fill('Tomatoes and more');
  await alice.page.getByLabel('Who can join').selectOption('knock');
  await alice.page.getByRole('button', { name: 'Create group' }).click();
  await alice.page.waitForURL(/\/room\//);
  // The picture is the room's m.room.avatar: in the header and in the room list.
  await alice.page.locator('.room-main .topbar .avatar img').waitFor();
  await alice.page.locator('.room-item', { hasText: 'Garden club' }).locator('.avatar img').waitFor();
  await screenshot(alice.page, 'desktop-group-avatar');

  // Bob finds it in the directory and asks to join.
  await bob.page.getByRole('button', { name: 'Explore public rooms' }).click();
  await bob.page.getByLabel('Search rooms on this server').fill('garden');
  const listed = bob.page.getByRole('list', { name: 'Public rooms' }).locator('li', { hasText: 'Garden club' });
  await listed.locator('.hint', { hasText: 'ask to join' }).waitFor();
  await listed.locator('.avatar img').waitFor();
  await screenshot(bob.page, 'phone-explore');
  await listed.getByRole('button', { name: 'Ask to join Garden club' }).click();
  await listed.getByText('Request sent').waitFor();
  await bob.page.getByRole('button', { name: 'Back to conversations' }).click();
  await bob.page.locator('.room-item', { hasText: 'Garden club' }).getByText(/asked to join/).waitFor();

  // Alice lets him in from the member list; he accepts the invitation that follows.
  await alice.page.getByRole('button', { name: 'Members' }).click();
  const knocks = alice.page.getByRole('list', { name: 'Asking to join' });
  await knocks.getByText('bob', { exact: true }).waitFor();
  await screenshot(alice.page, 'desktop-knock');
  await knocks.getByRole('button', { name: 'Let bob in' }).click();
  await bob.page.locator('.room-item', { hasText: 'Garden club' }).getByRole('button', { name: 'Accept' }).click();
  await bob.page.waitForURL(/\/room\//);
  await send(bob.page, 'thanks for letting me in');
  await alice.page.locator('.event .body', { hasText: 'thanks for letting me in' }).waitFor();
  await bob.page.locator('.room-main .topbar .avatar img').waitFor();
  t.pass();
});

test.serial('a muted room does not notify; others still do', async (t) => {
  const server = await startServer(t);
  const alice = await newPage(browser(), t, DESKTOP);
  const bob = await newPage(browser(), t, DESKTOP);
  // Bob's tab is "hidden" on demand, and notifications are recorded instead of shown.
  // (A script as text: the test's own code is transpiled with helpers the page does not have.)
  await bob.context.addInitScript({
    content: `
      window.__hidden = false;
      window.__notes = [];
      Object.defineProperty(Document.prototype, 'hidden', { get: () => window.__hidden, configurable: true });
      window.Notification = class {
        static permission = 'granted';
        static requestPermission() { return Promise.resolve('granted'); }
        constructor(title, options) { this.onclick = null; window.__notes.push({ title, body: (options && options.body) || '' }); }
      };
    `,
  });
  await register(alice.page, server.url, 'alice');
  await register(bob.page, server.url, 'bob');
  await bob.page.getByRole('button', { name: 'Settings', exact: true }).click();
  await bob.page.getByLabel('Show notifications when Hearth is in the background').check();
  await bob.page.getByLabel('Status message').fill('Gardening');
  await bob.page.getByRole('button', { name: 'Save profile' }).click();
  await bob.page.getByText('Saved.').waitFor();
  await startDm(alice.page, bob.page, '@bob:hs.test');
  // Bob's presence and status message show in Alice's chat with him, and as a dot in her list.
  await alice.page.locator('.room-main .topbar').getByText('Online: Gardening').waitFor();
  await alice.page.locator('.room-item', { hasText: 'bob' }).getByRole('img', { name: 'Online: Gardening' }).waitFor();
  const notes = async (): Promise<string[]> => bob.page.evaluate(() => (window as unknown as { __notes: Array<{ body: string }> }).__notes.map((n) => n.body));
  const hide = (hidden: boolean) => bob.page.evaluate((h) => ((window as unknown as { __hidden: boolean }).__hidden = h), hidden);

  await hide(true);
  await send(alice.page, 'before the mute');
  await bob.page.waitForFunction(() => (window as unknown as { __notes: Array<{ body: string }> }).__notes.some((n) => n.body.includes('before the mute')));
  t.deepEqual(await notes(), ['alice: before the mute']);

  await hide(false);
  await bob.page.getByRole('button', { name: 'Room settings' }).click();
  await bob.page.getByLabel('Mute notifications').check();
  await bob.page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await bob.page.locator('.room-item', { hasText: 'alice' }).getByLabel('Muted').waitFor();
  await hide(true);
  await send(alice.page, 'while muted');
  await bob.page.locator('.event .body', { hasText: 'while muted' }).waitFor();
  // A notification would be shown right after decryption; give it that moment.
  await bob.page.waitForTimeout(500);
  t.deepEqual(await notes(), ['alice: before the mute'], 'nothing from the muted room');

  await hide(false);
  await bob.page.getByLabel('Mute notifications').uncheck();
  await bob.page.locator('.room-item', { hasText: 'alice' }).getByLabel('Muted').waitFor({ state: 'detached' });
  await hide(true);
  await send(alice.page, 'after unmuting');
  await bob.page.waitForFunction(() => (window as unknown as { __notes: Array<{ body: string }> }).__notes.length === 2);
  t.deepEqual(await notes(), ['alice: before the mute', 'alice: after unmuting']);
});
