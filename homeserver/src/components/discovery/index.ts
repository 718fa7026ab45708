import type { Component } from '../component.js';
import { versionsRoutes } from './routes/versions.js';
import { wellKnownRoutes } from './routes/well-known.js';

/** How clients find and size up this server: supported versions and the well-known document. */
export function createDiscovery(deps: { publicBaseUrl: string }): Component {
  return {
    name: 'discovery',
    routes(router) {
      versionsRoutes(router);
      wellKnownRoutes(router, deps.publicBaseUrl);
    },
  };
}
