/**
 * Every REST route the client calls, as OpenAPI path templates, so the
 * tests can check each one against the document the server serves
 * (`/openapi.json`): a renamed route fails there, not in production.
 */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI form: `{name}` stands for a percent-encoded path parameter. */
  path: string;
}

export const ROUTES = {
  health: { method: 'GET', path: '/health' },
  ready: { method: 'GET', path: '/health/ready' },
  listCollections: { method: 'GET', path: '/collections' },
  createCollection: { method: 'POST', path: '/collections' },
  describeCollection: { method: 'GET', path: '/collections/{name}' },
  dropCollection: { method: 'DELETE', path: '/collections/{name}' },
  listAliases: { method: 'GET', path: '/aliases' },
  createAlias: { method: 'POST', path: '/aliases' },
  switchAlias: { method: 'PUT', path: '/aliases/{alias}' },
  dropAlias: { method: 'DELETE', path: '/aliases/{alias}' },
  optimize: { method: 'POST', path: '/collections/{name}/optimize' },
  upsert: { method: 'POST', path: '/collections/{name}/documents' },
  getMany: { method: 'POST', path: '/collections/{name}/documents/get' },
  delete: { method: 'POST', path: '/collections/{name}/documents/delete' },
  update: { method: 'POST', path: '/collections/{name}/documents/update' },
  list: { method: 'POST', path: '/collections/{name}/documents/list' },
  count: { method: 'POST', path: '/collections/{name}/count' },
  search: { method: 'POST', path: '/collections/{name}/search' },
  searchBatch: { method: 'POST', path: '/collections/{name}/search/batch' },
  cacheLookup: { method: 'POST', path: '/collections/{name}/cache/lookup' },
  cacheStore: { method: 'POST', path: '/collections/{name}/cache/entries' },
  cacheEvict: { method: 'POST', path: '/collections/{name}/cache/evict' },
  backup: { method: 'POST', path: '/backup' },
} as const satisfies Record<string, Route>;

export type RouteName = keyof typeof ROUTES;
