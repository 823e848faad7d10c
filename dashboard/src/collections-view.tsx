import { useState } from 'preact/hooks';
import { collectionPath, getJson, postJson } from './api.js';
import { bytes, count } from './format.js';
import { Problem } from './problem.js';
import { href } from './routes.js';
import { failure, READ_ONLY_REASON, useSession } from './session.js';
import type { CollectionInfo, CollectionList, CollectionStatus } from './types.js';
import { useRequest } from './use-request.js';

/** How often the list is read again: the backlog and counts move while a load runs. */
const REFRESH_MS = 5_000;

function vectorSettings(info: CollectionInfo): string {
  if (info.keywordOnly) return 'keyword only';
  return [`${info.dimension} d`, info.metric, info.quantization === 'none' ? undefined : info.quantization].filter(Boolean).join(', ');
}

function hnswSettings(info: CollectionInfo): string {
  if (info.hnsw === undefined) return '—';
  return `M ${info.hnsw.m}, efC ${info.hnsw.efConstruction}, ef ${info.hnsw.ef}`;
}

/** Every collection with its settings, counts, memory and indexing backlog; aliases below. */
export function CollectionsView() {
  const list = useRequest(() => getJson<CollectionList>('/collections'), [], REFRESH_MS);
  return (
    <section aria-labelledby="collections-heading">
      <div class="view-head">
        <h2 id="collections-heading">Collections</h2>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <Problem error={list.error} />
      {list.data && list.data.collections.length === 0 && <p>No collections yet. Create one with POST /collections (see the API docs).</p>}
      {list.data && list.data.collections.length > 0 && (
        <div class="scroll">
          <table class="collections">
            <caption>Collections: refreshed every {REFRESH_MS / 1000} s</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col" class="number">
                  Documents
                </th>
                <th scope="col">Vectors</th>
                <th scope="col">HNSW</th>
                <th scope="col" class="number">
                  Memory
                </th>
                <th scope="col" class="number">
                  Indexing backlog
                </th>
                <th scope="col" class="number">
                  Tombstones
                </th>
                <th scope="col">Embedder</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.collections.map((status) => (
                <CollectionRow key={status.name} status={status} onChanged={list.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && list.data.aliases.length > 0 && (
        <>
          <h3>Aliases</h3>
          <ul>
            {list.data.aliases.map((alias) => (
              <li key={alias.name}>
                <code>{alias.name}</code> → <code>{alias.collection}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function CollectionRow({ status, onChanged }: { status: CollectionStatus; onChanged(): void }) {
  const session = useSession();
  const { access } = session;
  const [optimizing, setOptimizing] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  if (status.state === 'unavailable') {
    return (
      <tr>
        <th scope="row">{status.name}</th>
        <td colSpan={9}>
          <span class="badge state-unavailable">unavailable</span> {status.reason}
        </td>
      </tr>
    );
  }
  const info = status;
  const optimize = async () => {
    setOptimizing(true);
    setError(undefined);
    try {
      await postJson(collectionPath(info.name, '/optimize'), {});
      onChanged();
    } catch (problem) {
      setError(failure(session, problem));
    } finally {
      setOptimizing(false);
    }
  };
  return (
    <tr>
      <th scope="row">{info.name}</th>
      <td>
        <span class={`badge state-${info.state}`}>{info.state}</span>
        {info.reason !== undefined && <p class="reason">{info.reason}</p>}
        {info.shards !== undefined && (
          <p class="reason">
            {info.shards} {info.shards === 1 ? 'shard' : 'shards'} × {info.replicas} {info.replicas === 1 ? 'replica' : 'replicas'}
          </p>
        )}
      </td>
      <td class="number">{count(info.count)}</td>
      <td>{vectorSettings(info)}</td>
      <td>{hnswSettings(info)}</td>
      <td class="number" title={`vectors ${bytes(info.memory.vectors)}, graph ${bytes(info.memory.graph)}`}>
        {bytes(info.memory.vectors + info.memory.graph)}
      </td>
      <td class="number">{count(info.indexingBacklog)}</td>
      <td class="number">{count(info.tombstones)}</td>
      <td>{info.embedder?.model ?? '—'}</td>
      <td>
        <div class="actions">
          <a href={href({ view: 'documents', collection: info.name })} aria-label={`Browse the documents of ${info.name}`}>
            Browse
          </a>
          <a href={href({ view: 'search', collection: info.name })} aria-label={`Search ${info.name}`}>
            Search
          </a>
          <button
            type="button"
            disabled={access === 'read-only' || optimizing || info.keywordOnly === true}
            title={access === 'read-only' ? READ_ONLY_REASON : 'Lay the HNSW graph out afresh after a bulk load'}
            aria-label={`Optimize ${info.name}`}
            onClick={optimize}
          >
            {optimizing ? 'Optimizing…' : 'Optimize'}
          </button>
          <Problem error={error} />
        </div>
      </td>
    </tr>
  );
}
