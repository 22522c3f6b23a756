// Small uPlot charts: a sparkline for topic throughput and a line chart for group lag.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

function useUplot(makeOptions, data, deps) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    plot.current = new uPlot(makeOptions(el), data, el);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, deps);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
  return box;
}

/** points: [{ t, recordsPerSec }]; a 120×28 line with no axes. */
export function Sparkline({ points, label }) {
  const xs = points.map((p) => p.t / 1000);
  const ys = points.map((p) => p.recordsPerSec);
  const data = [xs, ys];
  const box = useUplot(
    () => ({
      width: 140,
      height: 30,
      padding: [3, 2, 3, 2],
      legend: { show: false },
      cursor: { show: false },
      select: { show: false },
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: '#2b6cb0', fill: 'rgba(43,108,176,0.15)', width: 1.5, points: { show: false } }],
    }),
    data,
    [],
  );
  return html`<div class="sparkline" ref=${box} title=${label} data-points=${points.length}></div>`;
}

/** series: { t: number[] (ms), lines: [{ label, values }] }; a labelled line chart. */
export function LineChart({ t, lines, height = 180, yLabel }) {
  const data = [t.map((x) => x / 1000), ...lines.map((l) => l.values)];
  const colors = ['#c05621', '#2b6cb0', '#2f855a', '#6b46c1', '#b83280', '#718096'];
  const box = useUplot(
    (el) => ({
      width: Math.max(320, el.clientWidth || 640),
      height,
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      // Whole seconds, at least 90 px apart: the chart spans minutes, not milliseconds.
      axes: [
        { space: 90, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600], values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString('en-GB', { hour12: false })) },
        { label: yLabel, size: 60 },
      ],
      series: [{}, ...lines.map((l, i) => ({ label: l.label, stroke: colors[i % colors.length], width: 1.5 }))],
    }),
    data,
    [lines.map((l) => l.label).join('\u0000')],
  );
  return html`<div class="linechart" ref=${box}></div>`;
}
