import { useEffect, useState } from 'preact/hooks';

/**
 * Where the page is: #/collections, #/documents/<name>, #/search/<name>
 * (#/search/<name>/like/<id>: documents like one, searched at once), #/metrics.
 */
export type Route =
  | { view: 'collections' }
  | { view: 'documents'; collection: string | undefined }
  | { view: 'search'; collection: string | undefined; like?: string }
  | { view: 'metrics' };

export function parseRoute(hash: string): Route {
  const [view = '', name, extra, id] = hash.replace(/^#\/?/, '').split('/');
  const collection = name === undefined || name === '' ? undefined : decodeURIComponent(name);
  if (view === 'search' && collection !== undefined && extra === 'like' && id !== undefined && id !== '') return { view, collection, like: decodeURIComponent(id) };
  if (view === 'documents' || view === 'search') return { view, collection };
  if (view === 'metrics') return { view };
  return { view: 'collections' };
}

export function href(route: Route): string {
  const name = 'collection' in route && route.collection !== undefined ? `/${encodeURIComponent(route.collection)}` : '';
  const like = route.view === 'search' && route.like !== undefined ? `/like/${encodeURIComponent(route.like)}` : '';
  return `#/${route.view}${name}${like}`;
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
