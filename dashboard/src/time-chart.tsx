import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Line {
  label: string;
  /** A CSS colour. */
  stroke: string;
}

/**
 * A small live line chart (uPlot) of figures over time: `times` in seconds,
 * one array of values per line (null: no value then). The canvas is a
 * picture to screen readers, described by `summary`.
 */
export function TimeChart(props: { title: string; unit: string; lines: Line[]; times: number[]; values: (number | null)[][]; summary: string; format(value: number): string }) {
  const holder = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const format = useRef(props.format);
  format.current = props.format;

  useEffect(() => {
    const element = holder.current!;
    // uPlot draws on a canvas, which CSS does not reach: it takes the page's colours (light or dark) as they are now.
    const style = getComputedStyle(document.documentElement);
    const ink = style.getPropertyValue('--muted').trim() || '#57606a';
    const grid = { stroke: style.getPropertyValue('--line').trim() || '#d0d7de', width: 1 };
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 240),
      height: 180,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false } },
      axes: [
        { label: 'seconds', stroke: ink, grid, ticks: grid, values: (_u, ticks) => ticks.map((tick) => `${Math.round(tick)}`) },
        { label: props.unit, stroke: ink, grid, ticks: grid, size: 60, values: (_u, ticks) => ticks.map((tick) => format.current(tick)) },
      ],
      series: [{ label: 'seconds' }, ...props.lines.map((line) => ({ label: line.label, stroke: line.stroke, width: 2, spanGaps: false, points: { show: (self: uPlot) => self.data[0].length < 20 } }))],
    };
    chart.current = new uPlot(options, [props.times, ...props.values] as uPlot.AlignedData, element);
    const resized = new ResizeObserver(() => chart.current?.setSize({ width: Math.max(element.clientWidth, 240), height: 180 }));
    resized.observe(element);
    return () => {
      resized.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
    // The chart is made once; its data changes below.
  }, []);

  useEffect(() => {
    chart.current?.setData([props.times, ...props.values] as uPlot.AlignedData);
  }, [props.times, props.values]);

  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={holder} role="img" aria-label={`${props.title}: ${props.summary}`} />
    </figure>
  );
}
