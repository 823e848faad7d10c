import { useId } from 'preact/hooks';
import { count, ms } from './format.js';
import type { Explain } from './types.js';

const WIDTH = 800;
const LABEL = 170;
const BAR = WIDTH - LABEL - 110;
/** Room for each stage's entry in the legend under the stage bar (four of them in WIDTH - LABEL). */
const LEGEND_STEP = (WIDTH - LABEL) / 4;
const STAGES = [
  { key: 'filter', label: 'filter', className: 'stage-filter' },
  { key: 'search', label: 'search', className: 'stage-search' },
  { key: 'fetch', label: 'fetch', className: 'stage-fetch' },
  { key: 'other', label: 'other', className: 'stage-other' },
] as const;

/** Bar length for `value` on a log scale up to `max`, so 10 hits still show beside a million documents. */
function logLength(value: number, max: number): number {
  if (value <= 0) return 0;
  return Math.max(3, (BAR * Math.log10(1 + value)) / Math.log10(1 + Math.max(max, 1)));
}

function planNote(explain: Explain): string {
  const notes: string[] = [];
  notes.push(explain.forced ? 'forced by the request' : explain.explored ? 'the planner exploring its second choice' : "the planner's choice");
  if (explain.vectorPlan !== undefined) notes.push(`vector side ${explain.vectorPlan}`);
  if (explain.depth !== undefined) notes.push(`${explain.depth} candidates a side`);
  if (explain.ef !== null) notes.push(`ef ${explain.ef}`);
  if (explain.fallback) notes.push('HNSW found too few filtered hits: the exact scan took over');
  return notes.join(' · ');
}

/**
 * A search's explain plan drawn: how many documents each step kept (live,
 * allowed by the filter, hits), the plan chosen beside the planner's cost
 * estimates, and the time per stage; in cluster mode, each shard's time.
 */
export function ExplainPicture({ explain, hits }: { explain: Explain; hits: number }) {
  const id = useId();
  const { timings } = explain;
  const stageTimes = { filter: timings.filter, search: timings.search, fetch: timings.fetch, other: Math.max(0, timings.total - timings.filter - timings.search - timings.fetch) };
  const vectorPlan = explain.plan === 'exact' || explain.plan === 'hnsw' ? explain.plan : explain.vectorPlan;
  const showEstimates = vectorPlan !== undefined && (explain.estimates.exact > 0 || explain.estimates.hnsw > 0);
  const funnel = [
    { label: 'live documents', value: explain.total },
    { label: 'allowed by the filter', value: explain.candidates },
    ...(explain.controls ? [{ label: 'ranked for the controls', value: explain.controls.pool }] : []),
    { label: 'hits returned', value: hits },
  ];
  const shards = explain.shards ?? [];

  let y = 0;
  const rows: preact.JSX.Element[] = [];
  const heading = (text: string) => {
    y += 26;
    rows.push(
      <text key={`h${y}`} x={0} y={y} class="explain-heading">
        {text}
      </text>,
    );
    y += 8;
  };
  const bar = (label: string, length: number, value: string, className: string, key: string) => {
    rows.push(
      <g key={key} transform={`translate(0 ${y})`}>
        <text x={LABEL - 8} y={15} text-anchor="end" class="explain-label">
          {label}
        </text>
        <rect x={LABEL} y={3} width={length} height={16} rx={2} class={className} />
        <text x={LABEL + length + 6} y={15} class="explain-value">
          {value}
        </text>
      </g>,
    );
    y += 24;
  };

  heading(`Plan: ${explain.plan}`);
  y += 10;
  rows.push(
    <text key="plan-note" x={0} y={y} class="explain-label">
      {planNote(explain)}
    </text>,
  );
  heading('Documents at each step');
  for (const step of funnel) bar(step.label, logLength(step.value, explain.total), count(step.value), 'funnel', `f-${step.label}`);
  if (showEstimates) {
    heading("The planner's estimates");
    const longest = Math.max(explain.estimates.exact, explain.estimates.hnsw, 1e-9);
    for (const plan of ['exact', 'hnsw'] as const) {
      const chosen = plan === vectorPlan;
      bar(`${plan}${chosen ? ' (chosen)' : ''}`, Math.max(2, (BAR * explain.estimates[plan]) / longest), ms(explain.estimates[plan]), chosen ? 'estimate chosen' : 'estimate', `e-${plan}`);
    }
  }
  heading(`Time per stage: ${ms(timings.total)} in all`);
  const total = Math.max(timings.total, 1e-9);
  let x = LABEL;
  rows.push(
    <g key="stages" transform={`translate(0 ${y})`}>
      <text x={LABEL - 8} y={15} text-anchor="end" class="explain-label">
        stages
      </text>
      {STAGES.map((stage) => {
        const width = (BAR * stageTimes[stage.key]) / total;
        const rect = <rect key={stage.key} x={x} y={3} width={width} height={16} class={stage.className} />;
        x += width;
        return rect;
      })}
    </g>,
  );
  y += 26;
  rows.push(
    <g key="legend" transform={`translate(${LABEL} ${y})`}>
      {STAGES.map((stage, i) => (
        <g key={stage.key} transform={`translate(${i * LEGEND_STEP} 0)`}>
          <rect width={12} height={12} y={2} class={stage.className} />
          <text x={17} y={12} class="explain-value">
            {stage.label} {ms(stageTimes[stage.key])}
          </text>
        </g>
      ))}
    </g>,
  );
  y += 20;
  if (shards.length > 0) {
    heading('Each shard: search time');
    const slowest = Math.max(...shards.map((shard) => shard.timings.total), 1e-9);
    shards.forEach((shard, i) => bar(`shard ${i} (${shard.plan})`, (BAR * shard.timings.total) / slowest, ms(shard.timings.total), 'stage-search', `s-${i}`));
  }

  const description =
    `Plan ${explain.plan}, ${planNote(explain)}. ` +
    funnel.map((step) => `${count(step.value)} ${step.label}`).join(', ') +
    `. ${ms(timings.total)} in all: ` +
    STAGES.map((stage) => `${stage.label} ${ms(stageTimes[stage.key])}`).join(', ') +
    '.' +
    (shards.length === 0 ? '' : ` ${shards.length} shards: ` + shards.map((shard, i) => `shard ${i} ${shard.plan} ${ms(shard.timings.total)}`).join(', ') + '.');
  return (
    <figure class="explain">
      <svg viewBox={`0 0 ${WIDTH} ${y + 6}`} role="img" aria-labelledby={`${id}-title`} aria-describedby={`${id}-desc`} class="explain-svg">
        <title id={`${id}-title`}>How the search ran</title>
        <desc id={`${id}-desc`}>{description}</desc>
        {rows}
      </svg>
      <figcaption>How the search ran: the plan, the documents kept at each step (log scale) and where the time went.</figcaption>
    </figure>
  );
}
