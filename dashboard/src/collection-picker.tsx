import { getJson } from './api.js';
import { href, type Route } from './routes.js';
import type { CollectionList } from './types.js';
import { useRequest } from './use-request.js';

/** Chooses the collection a view shows; the choice is in the page's address, so it survives a reload and can be shared. */
export function CollectionPicker({ view, collection }: { view: 'documents' | 'search'; collection: string | undefined }) {
  const list = useRequest(() => getJson<CollectionList>('/collections'), []);
  const names = list.data?.collections.map((status) => status.name) ?? [];
  return (
    <p class="picker">
      <label for={`${view}-collection`}>Collection</label>
      <select
        id={`${view}-collection`}
        value={collection ?? ''}
        onChange={(event) => {
          location.hash = href({ view, collection: event.currentTarget.value || undefined } as Route);
        }}
      >
        <option value="">Choose a collection</option>
        {names.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </p>
  );
}
