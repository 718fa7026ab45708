import type { ExecutionContext } from 'ava';
import { registerUser, type TestUser } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Alice's public room with Bob joined, on a server of its own. */
export async function aliceAndBobInRoom(t: ExecutionContext, env: Record<string, string>): Promise<{ s: TestServer; alice: TestUser; bob: TestUser; room: string }> {
  const s = await startTestServer(t, env);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id as string;
  await bob.call('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/join`, {});
  return { s, alice, bob, room };
}
