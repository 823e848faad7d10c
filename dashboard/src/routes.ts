import { useEffect, useState } from 'preact/hooks';

/** Where the page is: #/collections, #/documents/<name>, #/search/<name>, #/metrics. */
export type Route =
  | { view: 'collections' }
  | { view: 'documents'; collection: string | undefined }
  | { view: 'search'; collection: string | undefined }
  | { view: 'metrics' };

export function parseRoute(hash: string): Route {
  const [view = '', name] = hash.replace(/^#\/?/, '').split('/');
  const collection = name === undefined || name === '' ? undefined : decodeURIComponent(name);
  if (view === 'documents' || view === 'search') return { view, collection };
  if (view === 'metrics') return { view };
  return { view: 'collections' };
}

export function href(route: Route): string {
  const name = 'collection' in route && route.collection !== undefined ? `/${encodeURIComponent(route.collection)}` : '';
  return `#/${route.view}${name}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
