import { useEffect, useRef, useState } from 'preact/hooks';
import { getText } from './api.js';
import { count, ms } from './format.js';
import { Problem } from './problem.js';
import { between, parseExposition, summarize, type Figures, type Scrape } from './prometheus.js';
import { failure, useSession } from './session.js';
import { TimeChart } from './time-chart.js';

const SCRAPE_MS = 2_000;
/** Five minutes of figures at one scrape every two seconds. */
const KEEP = 150;

function percent(value: number): string {
  return `${Math.round(value * 100)} %`;
}

function latest<T>(figures: Figures[], read: (f: Figures) => T | null): T | null {
  for (let i = figures.length - 1; i >= 0; i--) {
    const value = read(figures[i]!);
    if (value !== null) return value;
  }
  return null;
}

/** Live figures from /metrics: request rate, latency percentiles and the result cache's hit rate. */
export function MetricsView() {
  const session = useSession();
  const [figures, setFigures] = useState<Figures[]>([]);
  const [error, setError] = useState<Error>();
  const previous = useRef<Scrape | null>(null);
  const origin = useRef<number | null>(null);

  useEffect(() => {
    let stopped = false;
    const scrape = async () => {
      try {
        const text = await getText('/metrics');
        if (stopped) return;
        const now = performance.now();
        const current = summarize(parseExposition(text), now);
        origin.current ??= now;
        if (previous.current !== null) {
          const next = between(previous.current, current, origin.current);
          setFigures((all) => [...all.slice(-(KEEP - 1)), next]);
        }
        previous.current = current;
        setError(undefined);
      } catch (problem) {
        setError(failure(session, problem));
      }
    };
    void scrape();
    const timer = setInterval(scrape, SCRAPE_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [session]);

  const times = figures.map((f) => f.at);
  const rate = latest(figures, (f) => f.requestsPerSecond);
  const p50 = latest(figures, (f) => f.p50);
  const p99 = latest(figures, (f) => f.p99);
  const hitRate = latest(figures, (f) => f.cacheHitRate);
  return (
    <section aria-labelledby="metrics-heading">
      <h2 id="metrics-heading">Metrics</h2>
      <p>
        Read from <a href="../metrics">/metrics</a> every {SCRAPE_MS / 1000} s; the dashboard's own calls are left out. The last five minutes are kept while
        this view is open.
      </p>
      <Problem error={error} />
      <dl class="figures" aria-live="polite">
        <div>
          <dt>Requests per second</dt>
          <dd data-figure="rate">{rate === null ? '—' : rate.toFixed(1)}</dd>
        </div>
        <div>
          <dt>Latency p50</dt>
          <dd data-figure="p50">{p50 === null ? '—' : ms(p50)}</dd>
        </div>
        <div>
          <dt>Latency p99</dt>
          <dd data-figure="p99">{p99 === null ? '—' : ms(p99)}</dd>
        </div>
        <div>
          <dt>Result cache hit rate</dt>
          <dd data-figure="cache">{hitRate === null ? '—' : percent(hitRate)}</dd>
        </div>
      </dl>
      {figures.length === 0 && !error && <p role="status">Waiting for a second reading…</p>}
      <div class="charts" data-readings={figures.length}>
        <TimeChart
          title="Request rate"
          unit="requests/s"
          lines={[{ label: 'requests/s', stroke: '#1f6feb' }]}
          times={times}
          values={[figures.map((f) => f.requestsPerSecond)]}
          summary={rate === null ? 'no reading yet' : `${count(rate)} requests per second now`}
          format={(value) => value.toFixed(value < 10 ? 1 : 0)}
        />
        <TimeChart
          title="Latency percentiles"
          unit="ms"
          lines={[
            { label: 'p50', stroke: '#1a7f37' },
            { label: 'p95', stroke: '#9a6700' },
            { label: 'p99', stroke: '#cf222e' },
          ]}
          times={times}
          values={[figures.map((f) => f.p50), figures.map((f) => f.p95), figures.map((f) => f.p99)]}
          summary={p50 === null ? 'no requests yet' : `p50 ${ms(p50)}, p99 ${ms(p99 ?? p50)} now`}
          format={(value) => (value < 1 ? value.toFixed(2) : value.toFixed(value < 10 ? 1 : 0))}
        />
        <TimeChart
          title="Result cache hit rate"
          unit="%"
          lines={[{ label: 'hit rate', stroke: '#8250df' }]}
          times={times}
          values={[figures.map((f) => (f.cacheHitRate === null ? null : f.cacheHitRate * 100))]}
          summary={hitRate === null ? 'no cached searches yet' : `${percent(hitRate)} of searches answered from the cache now`}
          format={(value) => value.toFixed(0)}
        />
      </div>
    </section>
  );
}
