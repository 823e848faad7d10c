/** A labelled textarea holding JSON (a filter, a vector), with its own parse error shown beside it. */
export function JsonField(props: { id: string; label: string; hint: string; value: string; problem: string | undefined; rows?: number; onInput(value: string): void }) {
  const hintId = `${props.id}-hint`;
  const problemId = `${props.id}-problem`;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <textarea
        id={props.id}
        rows={props.rows ?? 2}
        spellcheck={false}
        value={props.value}
        aria-describedby={props.problem === undefined ? hintId : `${hintId} ${problemId}`}
        aria-invalid={props.problem !== undefined}
        onInput={(event) => props.onInput(event.currentTarget.value)}
      />
      <small id={hintId}>{props.hint}</small>
      {props.problem !== undefined && (
        <small id={problemId} class="field-problem">
          {props.problem}
        </small>
      )}
    </div>
  );
}

/** The filter a text box holds: undefined when empty; throws a readable message when it is not a JSON object. */
export function parseFilter(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`The filter is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('The filter must be a JSON object, such as {"year": {"$gte": 2020}}.');
  return value as Record<string, unknown>;
}

export const FILTER_HINT = 'A JSON object in Quiver\'s filter language, e.g. {"tag": "news", "year": {"$gte": 2020}}; empty for all documents.';
