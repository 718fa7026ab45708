import type Router from '@koa/router';
import type { Component } from '../component.js';
import { KeyDocumentCache } from './key-document.js';
import { keyServerRoutes } from './routes/key-server.js';
import type { ServerSigningKey } from './signing-key.js';

export interface FederationDeps {
  serverName: string;
  signingKey: ServerSigningKey;
}

export function createFederation(deps: FederationDeps): Component {
  const keys = new KeyDocumentCache(deps.serverName, deps.signingKey);
  return {
    name: 'federation',
    routes(router: Router) {
      keyServerRoutes(router, keys);
    },
  };
}
