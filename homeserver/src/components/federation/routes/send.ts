import type { Middleware } from 'koa';
import type Router from '@koa/router';
import { getOrigin, signedContent } from '../auth/middleware.js';
import type { TransactionReceiver } from '../inbound/transactions.js';

/** PUT /_matrix/federation/v1/send/{txnId} — a transaction of PDUs and EDUs from another server. */
export function sendRoutes(router: Router, requireServerAuth: Middleware, receiver: TransactionReceiver): void {
  router.put('/_matrix/federation/v1/send/:txnId', requireServerAuth, async (ctx) => {
    ctx.body = await receiver.receive(getOrigin(ctx), ctx.params['txnId']!, signedContent(ctx));
  });
}
