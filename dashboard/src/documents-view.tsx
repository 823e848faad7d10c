import { useState } from 'preact/hooks';
import { collectionPath, postJson, remove } from './api.js';
import { CollectionPicker } from './collection-picker.js';
import { count, excerpt } from './format.js';
import { FILTER_HINT, JsonField, parseFilter } from './json-field.js';
import { Problem } from './problem.js';
import { href } from './routes.js';
import { failure, READ_ONLY_REASON, useSession } from './session.js';
import type { ListPage, StoredDocument } from './types.js';
import { useCollectionInfo, useRequest } from './use-request.js';

const PAGE_SIZES = [10, 25, 50, 100];

/** One collection's documents, a page at a time, optionally filtered; the read-write key may delete one. */
export function DocumentsView({ collection }: { collection: string | undefined }) {
  return (
    <section aria-labelledby="documents-heading">
      <h2 id="documents-heading">Documents</h2>
      <CollectionPicker view="documents" collection={collection} />
      {collection !== undefined && <DocumentBrowser key={collection} collection={collection} />}
    </section>
  );
}

function DocumentBrowser({ collection }: { collection: string }) {
  const [filterText, setFilterText] = useState('');
  const [filterProblem, setFilterProblem] = useState<string | undefined>(undefined);
  const [filter, setFilter] = useState<Record<string, unknown> | undefined>(undefined);
  const [limit, setLimit] = useState(25);
  // The cursors of the pages seen so far: cursors[n] opens page n (undefined: the first page). Next waits for
  // the page shown to be the one asked for: its cursor is the only way on.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [deleteError, setDeleteError] = useState<Error | undefined>(undefined);
  const pageIndex = cursors.length - 1;
  const after = cursors[pageIndex];

  const page = useRequest(
    () => postJson<ListPage>(collectionPath(collection, '/documents/list'), { limit, include: ['metadata', 'text'], ...(filter && { filter }), ...(after && { after }) }),
    [collection, filter, limit, after],
  );
  // A keyword-only collection has no vectors to find similar documents by.
  const { info } = useCollectionInfo(collection);
  const hasVectors = info !== undefined && info.keywordOnly !== true;
  const total = useRequest(() => postJson<{ count: number }>(collectionPath(collection, '/count'), filter ? { filter } : {}), [collection, filter]);

  const apply = (event: Event) => {
    event.preventDefault();
    try {
      setFilter(parseFilter(filterText));
      setFilterProblem(undefined);
      // A filter applied starts again from the first page: the list's cursors belong to the filter they came from.
      setCursors([undefined]);
    } catch (error) {
      setFilterProblem((error as Error).message);
    }
  };
  const removed = () => {
    setDeleteError(undefined);
    page.reload();
    total.reload();
  };

  const first = pageIndex * limit + 1;
  const shown = page.data?.documents.length ?? 0;
  return (
    <>
      <form class="toolbar" onSubmit={apply} aria-label="Filter documents">
        <JsonField id="documents-filter" label="Filter" hint={FILTER_HINT} value={filterText} problem={filterProblem} onInput={setFilterText} />
        <div class="field">
          <label for="documents-page-size">Per page</label>
          <select id="documents-page-size" value={String(limit)} onChange={(event) => {
              setLimit(Number(event.currentTarget.value));
              setCursors([undefined]);
            }}>
            {PAGE_SIZES.map((size) => (
              <option key={size} value={String(size)}>
                {size}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Apply filter</button>
      </form>
      <Problem error={page.error ?? total.error ?? deleteError} />
      <p role="status" class="page-status">
        {page.loading
          ? 'Loading…'
          : shown === 0
            ? 'No documents on this page.'
            : `Documents ${count(first)}–${count(first + shown - 1)}${total.data ? ` of ${count(total.data.count)}` : ''}, page ${pageIndex + 1}`}
      </p>
      {page.data && shown > 0 && (
        <div class="scroll">
          <table class="documents">
            <caption>
              Documents of {collection}
              {filter ? ' matching the filter' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Text</th>
                <th scope="col">Metadata</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {page.data.documents.map((document) => (
                <DocumentRow key={document.id} collection={collection} document={document} similar={hasVectors} onRemoved={removed} onError={setDeleteError} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={pageIndex === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={page.loading || !page.data?.next} onClick={() => page.data?.next && setCursors([...cursors, page.data.next])}>
          Next page
        </button>
      </nav>
    </>
  );
}

function DocumentRow(props: { collection: string; document: StoredDocument; similar: boolean; onRemoved(): void; onError(error: Error): void }) {
  const session = useSession();
  const { access } = session;
  const { document } = props;
  const [busy, setBusy] = useState(false);
  const metadata = document.metadata === undefined ? '' : JSON.stringify(document.metadata);
  const del = async () => {
    if (!confirm(`Delete document ${document.id} from ${props.collection}? This cannot be undone.`)) return;
    setBusy(true);
    try {
      await remove(collectionPath(props.collection, `/documents/${encodeURIComponent(document.id)}`));
      props.onRemoved();
    } catch (error) {
      props.onError(failure(session, error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr>
      <th scope="row">
        <code>{document.id}</code>
      </th>
      <td>
        {document.text !== undefined && document.text.length > 160 ? (
          <details>
            <summary>{excerpt(document.text)}</summary>
            <p class="full-text">{document.text}</p>
          </details>
        ) : (
          document.text
        )}
      </td>
      <td>
        <code class="metadata">{metadata}</code>
      </td>
      <td>
        <div class="actions">
          {props.similar && (
            <a href={href({ view: 'search', collection: props.collection, like: document.id })} aria-label={`Documents similar to ${document.id}`}>
              Similar
            </a>
          )}
          <button
            type="button"
            class="danger"
            disabled={access === 'read-only' || busy}
            title={access === 'read-only' ? READ_ONLY_REASON : undefined}
            aria-label={`Delete document ${document.id}`}
            onClick={del}
          >
            Delete
          </button>
        </div>
      </td>
    </tr>
  );
}
