import test from 'ava';
import { DESKTOP, browserForFile, makePng, newPage, PHONE, register, screenshot, startFirstRunServer, startServer } from './helpers.js';

const browser = browserForFile(test);

test.serial('two people sign up, start a DM, talk, react, edit, and see receipts and typing', async (t) => {
  const server = await startServer(t);
  const alice = await newPage(browser(), t, DESKTOP);
  const bob = await newPage(browser(), t, PHONE);
  // Sync should run over Hearth's WebSocket, not fall back to long-polling.
  let wsFrames = 0;
  alice.page.on('websocket', (ws) => {
    if (ws.url().includes('/org.hearth.ws/sync')) ws.on('framereceived', () => wsFrames++);
  });

  await register(alice.page, server.url, 'alice');
  await register(bob.page, server.url, 'bob');
  await screenshot(alice.page, 'desktop-empty-room-list');

  // Alice starts a DM with Bob by his Matrix ID (new users share no room, so search needs the ID).
  await alice.page.getByRole('button', { name: 'New direct message' }).click();
  await alice.page.getByLabel('Search people by name or Matrix ID').fill('@bob:hs.test');
  await alice.page.getByRole('button', { name: 'Message @bob:hs.test' }).click();
  await alice.page.waitForURL(/\/room\//);
  await alice.page.getByLabel('Message', { exact: true }).waitFor();

  // Bob sees the invitation and accepts it from the room list.
  await bob.page.getByRole('button', { name: 'Accept' }).first().click();
  await bob.page.waitForURL(/\/room\//);

  // Messages both ways, with markdown.
  await alice.page.getByLabel('Message', { exact: true }).fill('Hello **Bob**!');
  await alice.page.getByLabel('Message', { exact: true }).press('Enter');
  await bob.page.locator('.event .body strong', { hasText: 'Bob' }).waitFor();
  t.pass('markdown arrives as HTML');
  // Bob has the room open at the bottom: his read receipt shows under Alice's message.
  await alice.page.locator('.event', { hasText: 'Hello' }).locator('.receipts').waitFor();

  // Typing shows on the other side.
  await bob.page.getByLabel('Message', { exact: true }).pressSequentially('Hi Ali');
  await alice.page.getByText('bob is typing…').waitFor();
  await bob.page.getByLabel('Message', { exact: true }).pressSequentially('ce');
  await bob.page.getByLabel('Message', { exact: true }).press('Enter');
  await alice.page.locator('.event .body', { hasText: 'Hi Alice' }).waitFor();
  await alice.page.getByText('bob is typing…').waitFor({ state: 'detached' });


  // Alice reacts to Bob's message; Bob sees the reaction.
  const bobsMessage = alice.page.locator('.event', { hasText: 'Hi Alice' });
  await bobsMessage.hover();
  await bobsMessage.getByRole('button', { name: 'React' }).click();
  await alice.page.getByRole('dialog', { name: 'Add a reaction' }).getByRole('button', { name: 'heart', exact: true }).click();
  await bob.page.locator('.reactions button', { hasText: '❤️ 1' }).waitFor();

  // Alice edits her message; Bob sees the new text marked as edited.
  const mine = alice.page.locator('.event', { hasText: 'Hello' });
  await mine.hover();
  await mine.getByRole('button', { name: 'Edit' }).click();
  await alice.page.getByLabel('Message', { exact: true }).fill('Hello Bob, edited');
  await alice.page.getByLabel('Message', { exact: true }).press('Enter');
  await bob.page.locator('.event', { hasText: 'Hello Bob, edited' }).locator('.edited').waitFor();

  await screenshot(alice.page, 'desktop-dm');
  await screenshot(bob.page, 'phone-dm');
  await bob.page.getByRole('button', { name: 'Back to conversations' }).click();
  await bob.page.getByRole('list', { name: 'Conversations' }).waitFor();
  // Bob was looking when the edit came: nothing is left unread for him.
  await bob.page.locator('.room-item .badge').waitFor({ state: 'detached' });
  t.true(wsFrames > 3, `sync frames over the WebSocket: ${wsFrames}`);
  await screenshot(bob.page, 'phone-room-list');
  await alice.page.getByRole('button', { name: 'Members' }).click();
  await alice.page.getByRole('complementary', { name: 'Members' }).waitFor();
  await screenshot(alice.page, 'desktop-members');

  // Search finds decrypted messages on this device; a result opens the room at the message.
  await alice.page.getByRole('button', { name: 'Search messages' }).click();
  await alice.page.getByLabel('Search all conversations').fill('edited');
  await alice.page.locator('.search-result', { hasText: 'Hello Bob, edited' }).click();
  await alice.page.waitForURL(/\?event=/);
  await alice.page.locator('.event.highlighted', { hasText: 'Hello Bob, edited' }).waitFor();
  t.pass();
});

test.serial('a reload shows saved rooms and messages before the network answers', async (t) => {
  const server = await startServer(t);
  const { page, context } = await newPage(browser(), t, DESKTOP);
  await register(page, server.url, 'carol');
  await page.getByRole('button', { name: 'New group' }).click();
  await page.getByLabel('Name').fill('Book club');
  await page.getByLabel('Topic').fill('One chapter a week');
  // Unencrypted: the server's thumbnails (kept for offline) are what this test is about.
  await page.getByLabel(/End-to-end/).uncheck();
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.waitForURL(/\/room\//);
  await page.getByLabel('Message', { exact: true }).fill('Remember chapter three');
  await page.getByLabel('Message', { exact: true }).press('Enter');
  await page.locator('.event:not(.pending)', { hasText: 'Remember chapter three' }).waitFor();
  // A picture: uploaded, sent as m.image, shown from its thumbnail (which is kept for offline).
  await page.locator('.composer input[type=file]').setInputFiles({ name: 'cover.png', mimeType: 'image/png', buffer: makePng(160, 120, [31, 111, 92]) });
  await page.getByRole('img', { name: 'Preview of cover.png' }).waitFor();
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.locator('.event .media-image img').waitFor();
  // Give the store a moment to commit the sync that confirmed the message.
  await page.waitForTimeout(300);

  // From now on the homeserver API is unreachable: only the app's own files load.
  await context.route(/\/_matrix\//, (route) => route.abort('internetdisconnected'));
  await context.routeWebSocket(/\/_matrix\//, (ws) => ws.close());
  await page.reload();
  await page.locator('.event', { hasText: 'Remember chapter three' }).waitFor();
  await page.getByRole('link', { name: /Book club/ }).waitFor();
  await page.locator('.event .media-image img').waitFor();
  await page.getByText(/Offline|Connecting/).first().waitFor();
  await screenshot(page, 'desktop-offline');
  t.pass();
});

test.serial('the first person signs up with the first-run token; settings, dark theme, sign-out and in', async (t) => {
  const { server, token } = await startFirstRunServer(t);
  const phone = await newPage(browser(), t, PHONE);
  await phone.page.goto(`${server.url}/register`);
  await phone.page.getByLabel('Username').fill('nobody');
  await phone.page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await phone.page.getByLabel('Confirm password').fill('correct horse battery');
  await phone.page.getByLabel('Registration token').fill('not-the-token');
  await phone.page.getByRole('button', { name: 'Create account' }).click();
  await phone.page.getByRole('alert').waitFor();
  await screenshot(phone.page, 'phone-register-error');
  await phone.page.goto(`${server.url}/login`);
  await phone.page.getByRole('button', { name: 'Sign in' }).waitFor();
  await screenshot(phone.page, 'phone-login');
  const { page } = await newPage(browser(), t, DESKTOP);
  await page.goto(`${server.url}/register`);
  await page.getByLabel('Username').fill('dave');
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByLabel('Confirm password').fill('correct horse battery');
  await page.getByLabel('Registration token').fill(token);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Hearth', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('Display name').fill('Dave D.');
  await page.getByLabel('Status message').fill('Reading');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await page.getByText('Saved.').waitFor();
  await page.getByLabel('Theme').selectOption('dark');
  await page.getByRole('heading', { name: 'Sessions' }).waitFor();
  await screenshot(page, 'desktop-settings-dark');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  // And back in with the password.
  await page.getByLabel('Username or Matrix ID').fill('dave');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Hearth', exact: true }).waitFor();
  t.pass();
});

test.serial('a second session is verified from the first by comparing emoji', async (t) => {
  const server = await startServer(t);
  const first = await newPage(browser(), t, DESKTOP);
  const second = await newPage(browser(), t, PHONE);
  await register(first.page, server.url, 'erin');
  await second.page.goto(`${server.url}/login`);
  await second.page.getByLabel('Username or Matrix ID').fill('erin');
  await second.page.getByLabel('Password').fill('correct horse battery');
  await second.page.getByRole('button', { name: 'Sign in' }).click();
  await second.page.getByRole('heading', { name: 'Hearth', exact: true }).waitFor();

  await first.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const row = first.page.locator('.list li', { hasText: 'Not verified' });
  await row.getByRole('button', { name: 'Verify' }).click({ timeout: 30_000 });
  const incoming = second.page.getByRole('dialog', { name: /Verify/ });
  await incoming.getByRole('button', { name: 'Accept' }).click();
  const emojiA = first.page.getByRole('list', { name: 'Emoji to compare' });
  const emojiB = second.page.getByRole('list', { name: 'Emoji to compare' });
  await emojiA.waitFor();
  await emojiB.waitFor();
  const a = await emojiA.innerText();
  t.is(a, await emojiB.innerText(), 'both screens show the same emoji');
  t.is(await emojiA.getByRole('listitem').count(), 7);
  await screenshot(second.page, 'phone-verification');
  await first.page.getByRole('button', { name: 'They match' }).click();
  await second.page.getByRole('button', { name: 'They match' }).click();
  await first.page.getByText(/^Verified\. /).waitFor();
  await second.page.getByText(/^Verified\. /).waitFor();
  await first.page.getByRole('button', { name: 'Done' }).click();
  await first.page.locator('.list li', { hasText: 'Not verified' }).waitFor({ state: 'detached' });
  t.is(await first.page.locator('.list li .verified').count(), 2, 'both sessions show as verified');
});

test.serial('encrypted history comes back on a new session from the key backup', async (t) => {
  const server = await startServer(t);
  const { page } = await newPage(browser(), t, DESKTOP);
  await register(page, server.url, 'frank');
  await page.getByRole('button', { name: 'New group' }).click();
  await page.getByLabel('Name').fill('Secrets');
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.waitForURL(/\/room\//);
  // New private groups are encrypted from the start.
  await page.getByLabel('End-to-end encrypted').waitFor();
  await page.getByLabel('Message', { exact: true }).fill('the combination is 1234');
  await page.getByLabel('Message', { exact: true }).press('Enter');
  await page.locator('.event:not(.pending)', { hasText: 'the combination is 1234' }).waitFor();
  // Files in an encrypted room are encrypted before upload and decrypted for display.
  await page.locator('.composer input[type=file]').setInputFiles({ name: 'map.png', mimeType: 'image/png', buffer: makePng(120, 90, [200, 80, 40]) });
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.locator('.event .media-image img').waitFor();
  await screenshot(page, 'desktop-encrypted-room');

  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByRole('button', { name: 'Set up key backup' }).click();
  const recoveryKey = (await page.getByLabel('Recovery key').innerText()).trim();
  t.regex(recoveryKey, /^Es/);
  await screenshot(page, 'desktop-recovery-key');
  await page.getByRole('button', { name: 'I have saved it' }).click();
  await page.getByText(/Keys are backed up/).waitFor();
  // Let the backup upload finish before this session (and its keys) goes away.
  await page.waitForTimeout(1500);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();

  await page.getByLabel('Username or Matrix ID').fill('frank');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: /Secrets/ }).click();
  await page.getByText(/Unable to decrypt|Waiting for the key/).first().waitFor();
  // The new session says what it lacks, and where to get it.
  await page.getByRole('link', { name: 'Verify this session or enter your recovery key' }).click();
  await page.getByLabel('Recovery key').fill(recoveryKey);
  await page.getByRole('button', { name: 'Restore from backup' }).click();
  await page.getByText(/Restored [1-9]\d* of/).waitFor();
  await page.getByText(/cannot read it yet/).waitFor({ state: 'detached' });
  await page.getByRole('link', { name: /Secrets/ }).click();
  await page.locator('.event', { hasText: 'the combination is 1234' }).waitFor();
  t.pass();
});
