import { useEffect, useState } from 'preact/hooks';
import { asError, collectionPath, postJson } from './api.js';
import { CollectionPicker } from './collection-picker.js';
import { ExplainPicture } from './explain-picture.js';
import { excerpt, ms, score } from './format.js';
import { FILTER_HINT, JsonField, parseFilter } from './json-field.js';
import { Problem } from './problem.js';
import { failure, useSession } from './session.js';
import type { SearchReply } from './types.js';
import { useCollectionInfo } from './use-request.js';

type Mode = 'keyword' | 'vector' | 'hybrid';
/** Where the vector side's query comes from. */
type VectorSource = 'example' | 'pasted' | 'embedded';

interface Query {
  mode: Mode;
  text: string;
  source: VectorSource;
  exampleId: string;
  vector: string;
  filter: string;
  k: number;
  fusion: 'relativeScore' | 'rrf';
  alpha: number;
  fresh: boolean;
}

const INITIAL: Query = { mode: 'keyword', text: '', source: 'example', exampleId: '', vector: '', filter: '', k: 10, fusion: 'relativeScore', alpha: 0.5, fresh: true };

/** A pasted vector: a JSON array, or numbers separated by commas or spaces. */
function parseVector(text: string): number[] {
  const trimmed = text.trim();
  const parts = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown[]) : trimmed.split(/[\s,]+/).filter((part) => part !== '');
  const vector = parts.map(Number);
  if (vector.length === 0 || vector.some((value) => !Number.isFinite(value))) throw new Error('The vector must be a list of numbers, such as [0.1, 0.2, 0.3].');
  return vector;
}

/** The request body a query makes (POST /collections/{name}/search); throws a readable message for incomplete input. */
function searchBody(query: Query, hasEmbedder: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { k: query.k, explain: true, include: ['metadata', 'text'] };
  const filter = parseFilter(query.filter);
  if (filter) body.filter = filter;
  const wantsText = query.mode !== 'vector';
  const wantsVector = query.mode !== 'keyword';
  if (wantsText) {
    if (query.text.trim() === '') throw new Error('Type the words to search for.');
    body.text = query.text;
  }
  if (query.mode === 'keyword') body.mode = 'keyword';
  if (wantsVector) {
    if (query.source === 'example') {
      if (query.exampleId.trim() === '') throw new Error('Type the id of the document to search by.');
      body.like = [query.exampleId.trim()];
    } else if (query.source === 'pasted') {
      body.vector = parseVector(query.vector);
    } else {
      if (!hasEmbedder) throw new Error('This collection has no embedder: search by an example document or a pasted vector.');
      if (query.mode === 'vector') {
        if (query.text.trim() === '') throw new Error('Type the text to embed.');
        body.text = query.text;
        body.mode = 'semantic';
      } else {
        body.mode = 'hybrid';
      }
    }
  }
  if (query.mode === 'hybrid') {
    body.fusion = query.fusion;
    body.alpha = query.alpha;
  }
  return body;
}

/** Vector, keyword and hybrid search of one collection, its hits with their scores and the plan as a picture. */
export function SearchView({ collection, like }: { collection: string | undefined; like?: string | undefined }) {
  return (
    <section aria-labelledby="search-heading">
      <h2 id="search-heading">Search</h2>
      <CollectionPicker view="search" collection={collection} />
      {collection !== undefined && <SearchConsole key={`${collection}/${like ?? ''}`} collection={collection} like={like} />}
    </section>
  );
}

/** The console; with `like`, set to find the documents most like that one, and run at once. */
function SearchConsole({ collection, like }: { collection: string; like: string | undefined }) {
  const session = useSession();
  const { info, error: infoError } = useCollectionInfo(collection);
  const hasEmbedder = info?.embedder !== undefined;
  const keywordOnly = info?.keywordOnly === true;
  const [query, setQuery] = useState<Query>(like === undefined ? INITIAL : { ...INITIAL, mode: 'vector', source: 'example', exampleId: like });
  const [result, setResult] = useState<SearchReply & { cached?: boolean }>();
  const [error, setError] = useState<Error>();
  const [running, setRunning] = useState(false);
  // Searches answered so far: a new result is told from the last one by it (data-searches), and its round trip shown.
  const [answered, setAnswered] = useState({ count: 0, roundTripMs: 0 });
  const set = <K extends keyof Query>(key: K, value: Query[K]) => setQuery((current) => ({ ...current, [key]: value }));

  const run = async (event?: Event) => {
    event?.preventDefault();
    setError(undefined);
    let body: Record<string, unknown>;
    try {
      body = searchBody(query, hasEmbedder);
    } catch (problem) {
      setError(asError(problem));
      return;
    }
    setRunning(true);
    try {
      const headers = query.fresh ? { 'cache-control': 'no-cache' } : undefined;
      const started = performance.now();
      const reply = await postJson<SearchReply & { cached?: boolean }>(collectionPath(collection, '/search'), body, headers);
      setAnswered(({ count }) => ({ count: count + 1, roundTripMs: performance.now() - started }));
      setResult(reply);
    } catch (problem) {
      setResult(undefined);
      setError(failure(session, problem));
    } finally {
      setRunning(false);
    }
  };

  // Sent here by a document's "Similar" link: search at once.
  useEffect(() => {
    if (like !== undefined) void run();
  }, []);

  const hybrid = result?.explain?.plan === 'hybrid';
  return (
    <>
      <form class="search-form" onSubmit={run} aria-label={`Search ${collection}`}>
        <fieldset class="modes">
          <legend>Kind of search</legend>
          {(['keyword', 'vector', 'hybrid'] as const).map((mode) => (
            <label key={mode}>
              <input type="radio" name="mode" value={mode} checked={query.mode === mode} disabled={keywordOnly && mode !== 'keyword'} onChange={() => set('mode', mode)} />
              {mode === 'keyword' ? 'Keyword (BM25)' : mode === 'vector' ? 'Vector' : 'Hybrid'}
            </label>
          ))}
        </fieldset>
        {(query.mode !== 'vector' || query.source === 'embedded') && (
          <div class="field">
            <label for="search-text">{query.mode === 'vector' ? 'Text to embed' : 'Words'}</label>
            <input id="search-text" type="search" value={query.text} onInput={(event) => set('text', event.currentTarget.value)} />
          </div>
        )}
        {query.mode !== 'keyword' && (
          <fieldset class="sources">
            <legend>Query vector</legend>
            <label>
              <input type="radio" name="source" value="example" checked={query.source === 'example'} onChange={() => set('source', 'example')} />
              From a stored document
            </label>
            <label>
              <input type="radio" name="source" value="pasted" checked={query.source === 'pasted'} onChange={() => set('source', 'pasted')} />
              Pasted vector
            </label>
            <label>
              <input type="radio" name="source" value="embedded" checked={query.source === 'embedded'} disabled={!hasEmbedder} onChange={() => set('source', 'embedded')} />
              Embed the text{hasEmbedder ? '' : ' (this collection has no embedder)'}
            </label>
            {query.source === 'example' && (
              <div class="field">
                <label for="search-example">Document id</label>
                <input id="search-example" value={query.exampleId} onInput={(event) => set('exampleId', event.currentTarget.value)} />
              </div>
            )}
            {query.source === 'pasted' && (
              <JsonField
                id="search-vector"
                label="Vector"
                hint={`A JSON array or comma-separated numbers${info?.dimension ? `: ${info.dimension} of them` : ''}.`}
                value={query.vector}
                problem={undefined}
                rows={3}
                onInput={(value) => set('vector', value)}
              />
            )}
          </fieldset>
        )}
        {query.mode === 'hybrid' && (
          <div class="row">
            <div class="field">
              <label for="search-fusion">Fusion</label>
              <select id="search-fusion" value={query.fusion} onChange={(event) => set('fusion', event.currentTarget.value as Query['fusion'])}>
                <option value="relativeScore">Relative score</option>
                <option value="rrf">Reciprocal rank (RRF)</option>
              </select>
            </div>
            <div class="field">
              <label for="search-alpha">Vector weight (alpha): {query.alpha.toFixed(2)}</label>
              <input id="search-alpha" type="range" min="0" max="1" step="0.05" value={query.alpha} onInput={(event) => set('alpha', Number(event.currentTarget.value))} />
            </div>
          </div>
        )}
        <JsonField id="search-filter" label="Filter" hint={FILTER_HINT} value={query.filter} problem={undefined} onInput={(value) => set('filter', value)} />
        <div class="row">
          <div class="field">
            <label for="search-k">Hits (k)</label>
            <input id="search-k" type="number" min="1" max="1000" value={query.k} onInput={(event) => set('k', Number(event.currentTarget.value) || 10)} />
          </div>
          <label class="check">
            <input type="checkbox" checked={query.fresh} onChange={(event) => set('fresh', event.currentTarget.checked)} />
            Bypass the result cache (a fresh plan and timings)
          </label>
        </div>
        <button type="submit" disabled={running}>
          {running ? 'Searching…' : 'Search'}
        </button>
      </form>
      <Problem error={error ?? infoError} />
      {result && (
        <section aria-labelledby="hits-heading" class="results" data-searches={answered.count}>
          <h3 id="hits-heading">
            {result.hits.length} {result.hits.length === 1 ? 'hit' : 'hits'}
            {result.cached ? ' (from the result cache)' : ''}
          </h3>
          <p class="round-trip">{ms(answered.roundTripMs)} from this page to the server and back</p>
          {result.hits.length > 0 && (
            <div class="scroll">
              <table class="hits">
                <caption>Hits, best first</caption>
                <thead>
                  <tr>
                    <th scope="col" class="number">
                      Rank
                    </th>
                    <th scope="col">Id</th>
                    <th scope="col" class="number">
                      Score
                    </th>
                    {hybrid && (
                      <>
                        <th scope="col" class="number">
                          Vector score
                        </th>
                        <th scope="col" class="number">
                          Keyword score
                        </th>
                      </>
                    )}
                    <th scope="col">Text</th>
                    <th scope="col">Metadata</th>
                  </tr>
                </thead>
                <tbody>
                  {result.hits.map((hit, rank) => (
                    <tr key={hit.id}>
                      <td class="number">{rank + 1}</td>
                      <th scope="row">
                        <code>{hit.id}</code>
                      </th>
                      <td class="number score">{score(hit.score)}</td>
                      {hybrid && (
                        <>
                          <td class="number">{hit.vectorScore === undefined ? '—' : score(hit.vectorScore)}</td>
                          <td class="number">{hit.keywordScore === undefined ? '—' : score(hit.keywordScore)}</td>
                        </>
                      )}
                      <td>{excerpt(hit.text)}</td>
                      <td>
                        <code class="metadata">{hit.metadata === undefined ? '' : JSON.stringify(hit.metadata)}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {result.explain && <ExplainPicture explain={result.explain} hits={result.hits.length} />}
          {result.explain && (
            <details>
              <summary>The explain plan as JSON</summary>
              <pre>{JSON.stringify(result.explain, null, 2)}</pre>
            </details>
          )}
        </section>
      )}
    </>
  );
}
