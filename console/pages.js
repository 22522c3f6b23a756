// The console's pages. Each polls its /api/... resource (api.js) and renders tables; links use #/... routes.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { usePoll } from './api.js';
import { LineChart, Sparkline } from './charts.js';
import { ago, bytes, duration, frontier, num, rate, time } from './format.js';

const enc = encodeURIComponent;

function Status({ state }) {
  if (state.error) return html`<p class="error" role="alert">Cannot load: ${state.error}</p>`;
  if (!state.data) return html`<p class="muted">Loading…</p>`;
  return null;
}

function Updated({ at }) {
  return at ? html`<span class="updated" data-testid="updated">updated ${time(at)}</span>` : null;
}

function StateBadge({ state }) {
  return html`<span class=${`badge state-${String(state).toLowerCase()}`}>${state}</span>`;
}

// ------------------------------------------------------------------------------------------------- Topics

export function TopicsPage() {
  const state = usePoll('/api/topics?partitionLimit=0');
  const d = state.data;
  return html`<section>
    <header class="page-head"><h1>Topics</h1><${Updated} at=${state.updatedAt} /></header>
    <${Status} state=${state} />
    ${d && d.topics.length === 0 && html`<p class="muted">No topics yet. Produce to one and it appears here.</p>`}
    ${d &&
    d.topics.length > 0 &&
    html`<table class="grid" data-testid="topics">
      <thead><tr><th>Topic</th><th class="num">Partitions</th><th class="num">Records</th><th class="num">Size</th><th>Throughput (records/s)</th><th class="num">Now</th></tr></thead>
      <tbody>
        ${d.topics.map((t) => {
          const last = t.throughput?.at(-1);
          return html`<tr key=${t.name} data-topic=${t.name}>
            <td><a href=${`#/topics/${enc(t.name)}`}>${t.name}</a></td>
            <td class="num">${num(t.partitionCount)}</td>
            <td class="num" data-testid="records">${num(t.records)}</td>
            <td class="num">${bytes(t.sizeBytes)}</td>
            <td>${t.throughput && t.throughput.length > 1 ? html`<${Sparkline} points=${t.throughput} label=${`${t.name}: records per second`} />` : html`<span class="muted">collecting…</span>`}</td>
            <td class="num">${last ? rate(last.recordsPerSec) : '—'}</td>
          </tr>`;
        })}
      </tbody>
    </table>`}
    ${d && d.total > d.topics.length && html`<p class="muted">Showing ${d.topics.length} of ${num(d.total)} topics.</p>`}
  </section>`;
}

// ------------------------------------------------------------------------------------------ Topic detail

function Bytes({ v }) {
  if (v === null) return html`<span class="muted">null</span>`;
  return html`<span class=${`bytes ${v.encoding}`} title=${`${num(v.size)} bytes, shown as ${v.encoding}`}>${v.data}${v.truncated ? html`<span class="muted">… (${num(v.size)} B)</span>` : ''}</span>`;
}

function EventCell({ e }) {
  if (e.kind === 'messages') {
    return html`<span class="event messages"><b>messages</b> at time <code>${JSON.stringify(e.time)}</code>: ${num(e.count)} items${' '}<span class="muted">${JSON.stringify(e.sample).slice(0, 80)}${e.count > e.sample.length ? ' …' : ''}</span></span>`;
  }
  return html`<span class="event progress"><b>progress</b> ${e.updates.length === 0
    ? html`<span class="muted">(no change)</span>`
    : e.updates.map(([t, d]) => html`<code class=${d > 0 ? 'plus' : 'minus'}>${JSON.stringify(t)} ${d > 0 ? '+' : ''}${d}</code> `)}</span>`;
}

export function TopicPage({ name }) {
  const topic = usePoll(`/api/topics/${enc(name)}`);
  const [partition, setPartition] = useState(0);
  const [limit, setLimit] = useState(50);
  const [format, setFormat] = useState('auto');
  const records = usePoll(`/api/topics/${enc(name)}/partitions/${partition}/records?limit=${limit}&format=${format}`);
  const t = topic.data;
  const r = records.data;
  return html`<section>
    <header class="page-head"><h1><a href="#/topics">Topics</a> / ${name}</h1><${Updated} at=${topic.updatedAt} /></header>
    <${Status} state=${topic} />
    ${t &&
    html`<p class="summary">${num(t.partitionCount)} partitions · ${num(t.records)} records · ${bytes(t.sizeBytes)} · id <code>${t.id}</code>
        ${Object.keys(t.configs).length > 0 && html` · overrides ${Object.entries(t.configs).map(([k, v]) => html`<code>${k}=${v}</code> `)}`}</p>
      <table class="grid" data-testid="partitions">
        <thead><tr><th class="num">Partition</th><th class="num">Log start</th><th class="num">High watermark</th><th class="num">Records</th><th class="num">Size</th><th class="num">Segments</th></tr></thead>
        <tbody>${t.partitions.map((p) => html`<tr key=${p.partition} data-partition=${p.partition}>
          <td class="num">${p.partition}</td><td class="num">${num(p.logStartOffset)}</td><td class="num" data-testid="hw">${num(p.highWatermark)}</td>
          <td class="num">${num(p.records)}</td><td class="num">${bytes(p.sizeBytes)}</td><td class="num">${p.segments}</td></tr>`)}</tbody>
      </table>`}
    <h2>Records</h2>
    <form class="controls" onSubmit=${(e) => e.preventDefault()}>
      <label>Partition <select value=${partition} onChange=${(e) => setPartition(Number(e.currentTarget.value))}>
        ${(t?.partitions ?? [{ partition: 0 }]).map((p) => html`<option value=${p.partition}>${p.partition}</option>`)}</select></label>
      <label>Last <select value=${limit} onChange=${(e) => setLimit(Number(e.currentTarget.value))}>
        ${[20, 50, 100, 500].map((n) => html`<option value=${n}>${n}</option>`)}</select> records</label>
      <label>Show as <select value=${format} onChange=${(e) => setFormat(e.currentTarget.value)}>
        <option value="auto">text when printable</option><option value="text">text</option><option value="hex">hex</option></select></label>
    </form>
    <${Status} state=${records} />
    ${r && r.records.length === 0 && html`<p class="muted">${r.truncatedByBytes ? 'The next batch is larger than the read budget.' : 'No records in this partition.'}</p>`}
    ${r &&
    r.records.length > 0 &&
    html`<table class="grid records" data-testid="records-table">
      <thead><tr><th class="num">Offset</th><th>Time</th><th>Key</th><th>Value</th></tr></thead>
      <tbody>${[...r.records].reverse().map((rec) => html`<tr key=${rec.offset}>
        <td class="num">${rec.offset}</td><td class="nowrap">${time(rec.timestamp)}</td>
        <td><${Bytes} v=${rec.key} /></td>
        <td>${rec.event ? html`<${EventCell} e=${rec.event} />` : html`<${Bytes} v=${rec.value} />`}
          ${rec.headers.length > 0 && html`<div class="headers">${rec.headers.map((h) => html`<code>${h.key}</code>=<${Bytes} v=${h.value} /> `)}</div>`}</td>
      </tr>`)}</tbody>
    </table>
    ${r.truncatedByBytes && html`<p class="muted">Stopped at the read budget (${bytes(r.bytesRead)}).</p>`}`}
    ${r && r.problem && html`<p class="error">${r.problem}</p>`}
  </section>`;
}

// ------------------------------------------------------------------------------------------------ Groups

/** Keeps the last `max` total-lag samples of each group, client side, for the lag chart. */
function useLagHistory(groups, updatedAt, max = 150) {
  const history = useRef({ t: [], byGroup: new Map(), lastAt: null });
  const h = history.current;
  if (groups && updatedAt !== h.lastAt) {
    h.lastAt = updatedAt;
    h.t.push(updatedAt);
    for (const g of groups) {
      if (!h.byGroup.has(g.groupId)) h.byGroup.set(g.groupId, new Array(h.t.length - 1).fill(null));
    }
    for (const [id, values] of h.byGroup) values.push(groups.find((g) => g.groupId === id)?.totalLag ?? null);
    if (h.t.length > max) {
      h.t.shift();
      for (const values of h.byGroup.values()) values.shift();
    }
  }
  return { t: h.t.slice(), lines: [...h.byGroup].map(([label, values]) => ({ label, values: values.slice() })) };
}

export function GroupsPage() {
  const state = usePoll('/api/groups');
  const d = state.data;
  const lag = useLagHistory(d?.groups, state.updatedAt);
  return html`<section>
    <header class="page-head"><h1>Consumer groups</h1><${Updated} at=${state.updatedAt} /></header>
    <${Status} state=${state} />
    ${d && d.groups.length === 0 && html`<p class="muted">No consumer groups yet.</p>`}
    ${d && d.groups.length > 0 && html`
      <h2>Lag (records behind the high watermark)</h2>
      ${lag.t.length > 1 ? html`<${LineChart} t=${lag.t} lines=${lag.lines} yLabel="records" />` : html`<p class="muted">The chart fills in as the page refreshes.</p>`}
      ${d.groups.map((g) => html`<${GroupCard} key=${g.groupId} g=${g} />`)}`}
  </section>`;
}

function GroupCard({ g }) {
  const owner = new Map(g.members.map((m) => [m.memberId, m.clientId]));
  return html`<article class="card" data-group=${g.groupId}>
    <h3><a href=${`#/groups/${enc(g.groupId)}`}>${g.groupId}</a> <${StateBadge} state=${g.state} /></h3>
    <p class="summary">${g.members.length} members · generation ${g.generationId} · ${g.protocolType || 'no protocol'}${g.protocolName ? ` (${g.protocolName})` : ''}${' · '}total lag <b data-testid="total-lag">${num(g.totalLag)}</b> · since ${time(g.stateSince)}</p>
    ${g.members.length > 0 && html`<table class="grid">
      <thead><tr><th>Member</th><th>Client</th><th>Host</th><th>Assignment</th></tr></thead>
      <tbody>${g.members.map((m) => html`<tr key=${m.memberId}><td class="mono small">${m.memberId}</td><td>${m.clientId}</td><td>${m.clientHost}</td>
        <td>${m.assignment === null ? html`<span class="muted">not a consumer assignment</span>` : m.assignment.map((a) => html`<code>${a.topic} [${a.partitions.join(', ')}]</code> `)}</td></tr>`)}</tbody>
    </table>`}
    ${g.partitions.length > 0 && html`<table class="grid" data-testid="lag">
      <thead><tr><th>Topic</th><th class="num">Partition</th><th class="num">Committed</th><th class="num">High watermark</th><th class="num">Lag</th><th>Lag bar</th><th>Member</th></tr></thead>
      <tbody>${g.partitions.map((p) => html`<tr key=${`${p.topic}/${p.partition}`} data-tp=${`${p.topic}/${p.partition}`}>
        <td>${p.topic}</td><td class="num">${p.partition}</td><td class="num" data-testid="committed">${num(p.committedOffset)}</td>
        <td class="num">${num(p.highWatermark)}</td><td class="num" data-testid="partition-lag">${num(p.lag)}</td>
        <td><${LagBar} lag=${p.lag} hw=${p.highWatermark} start=${p.logStartOffset} /></td>
        <td class="small">${p.memberId ? owner.get(p.memberId) ?? p.memberId : html`<span class="muted">unassigned</span>`}</td></tr>`)}</tbody>
    </table>`}
  </article>`;
}

function LagBar({ lag, hw, start }) {
  if (lag === null || hw === null) return html`<span class="muted">—</span>`;
  const span = Math.max(1, hw - (start ?? 0));
  const pct = Math.min(100, (lag / span) * 100);
  return html`<span class="lagbar" title=${`${num(lag)} of ${num(span)} records`}><span style=${`width:${pct.toFixed(1)}%`}></span></span>`;
}

export function GroupPage({ id }) {
  const state = usePoll(`/api/groups/${enc(id)}`);
  const lag = useLagHistory(state.data ? [state.data] : null, state.updatedAt);
  return html`<section>
    <header class="page-head"><h1><a href="#/groups">Groups</a> / ${id}</h1><${Updated} at=${state.updatedAt} /></header>
    <${Status} state=${state} />
    ${state.data && html`${lag.t.length > 1 && html`<${LineChart} t=${lag.t} lines=${lag.lines} yLabel="records" />`}<${GroupCard} g=${state.data} />`}
  </section>`;
}

// ------------------------------------------------------------------------------------------------ Streams

export function StreamsPage() {
  const state = usePoll('/api/streams');
  const replay = usePoll('/api/replay');
  const d = state.data;
  return html`<section>
    <header class="page-head"><h1>Captured streams</h1><${Updated} at=${state.updatedAt} /></header>
    <p class="muted">Topics written by <code>capture</code>, grouped by name as <code>replay</code> reads them. A replay's frontier is the
      least of its streams' frontiers: the streams marked <span class="badge holding">holding</span> keep it there.</p>
    <${Status} state=${state} />
    ${d && d.groups.length === 0 && html`<p class="muted">No captured streams (topics <code>name-0</code>, <code>name-1</code>, … holding capture's events).</p>`}
    ${d && !d.caughtUp && html`<p class="muted">Still reading the streams' history (${bytes(d.bytesRead)} this refresh)…</p>`}
    ${d && d.groups.map((g) => html`<${StreamGroup} key=${g.name} g=${g} />`)}
    ${replay.data && replay.data.exchanges.length > 0 && html`<h2>Replay (worker mesh)</h2>
      <p class="muted">A multi-process replay in this process (<code>--http-port</code> on <code>capture_recv</code>): each process's frontier per
        progress exchange; the processes marked <span class="badge holding">holding</span> keep the exchange's frontier there.</p>
      ${replay.data.exchanges.map((e) => html`<${ReplayExchange} key=${e.exchange} e=${e} />`)}`}
  </section>`;
}

function ReplayExchange({ e }) {
  const stuck = e.holding.length > 0;
  return html`<article class="card" data-replay-exchange=${e.exchange}>
    <h3>${e.exchange} <span class=${`badge ${stuck ? 'state-preparingrebalance' : 'state-stable'}`}>${stuck ? 'running' : 'done'}</span></h3>
    <p class="summary">frontier <code>${frontier(e.frontier)}</code> · moved ${ago(e.since)}</p>
    <table class="grid">
      <thead><tr><th>Process</th><th>Address</th><th>Frontier</th><th>Since</th><th></th></tr></thead>
      <tbody>${e.processes.map((p) => html`<tr key=${p.process} data-replay-process=${p.process} class=${p.holding ? 'holding' : ''}>
        <td class="num">${p.process}</td><td class="mono">${p.address}</td>
        <td><code>${frontier(p.frontier)}</code>${p.silentWorkers > 0 && html` <span class="muted">(${p.silentWorkers} worker(s) not heard from)</span>`}</td>
        <td class="nowrap">${ago(p.since)}</td>
        <td>${p.holding ? html`<span class="badge holding">holding</span>` : p.frontier.length === 0 ? html`<span class="badge state-stable">done</span>` : ''}</td>
      </tr>`)}</tbody>
    </table>
  </article>`;
}

function StreamGroup({ g }) {
  const holding = new Set(g.holdingBack.map((h) => h.topic));
  return html`<article class="card" data-stream-group=${g.name}>
    <h3>${g.name} <span class=${`badge ${g.complete ? 'state-stable' : 'state-preparingrebalance'}`}>${g.complete ? 'complete' : 'open'}</span></h3>
    <p class="summary">${g.streams.length} streams · frontier <code data-testid="group-frontier">${frontier(g.frontier)}</code>
      ${g.missing.length > 0 && html` · <span class="error">missing ${g.missing.map((i) => `${g.name}-${i}`).join(', ')}</span>`}</p>
    <table class="grid">
      <thead><tr><th>Stream</th><th class="num">Events</th><th class="num">Messages</th><th class="num">Progress</th><th class="num">Size</th><th>Frontier</th><th>Last progress</th><th></th></tr></thead>
      <tbody>${g.streams.map((s) => html`<tr key=${s.topic} data-stream=${s.topic} class=${holding.has(s.topic) ? 'holding' : ''}>
        <td><a href=${`#/topics/${enc(s.topic)}`}>${s.topic}</a></td>
        <td class="num">${num(s.records)}</td><td class="num">${num(s.messages)}</td><td class="num">${num(s.progress)}</td><td class="num">${bytes(s.sizeBytes)}</td>
        <td><code>${frontier(s.frontier)}</code>${!s.caughtUp && html` <span class="muted">(read ${num(s.readOffset)} of ${num(s.highWatermark)})</span>`}
          ${s.problem && html`<div class="error small">${s.problem}</div>`}</td>
        <td class="nowrap">${s.lastProgressAt ? ago(s.lastProgressAt) : '—'}</td>
        <td>${holding.has(s.topic) && !g.complete ? html`<span class="badge holding">holding</span>` : s.complete ? html`<span class="badge state-stable">done</span>` : ''}</td>
      </tr>`)}</tbody>
    </table>
  </article>`;
}

// ------------------------------------------------------------------------------------------------- Broker

export function BrokerPage() {
  const state = usePoll('/api/broker', 5000);
  const b = state.data;
  const [all, setAll] = useState(false);
  return html`<section>
    <header class="page-head"><h1>Broker</h1><${Updated} at=${state.updatedAt} /></header>
    <${Status} state=${state} />
    ${b && html`
      <div class="tiles">
        <div class="tile"><span>Uptime</span><b data-testid="uptime">${duration(b.uptimeSeconds)}</b></div>
        <div class="tile"><span>Memory (RSS)</span><b>${bytes(b.memory.rss)}</b><small>heap ${bytes(b.memory.heapUsed)} of ${bytes(b.memory.heapTotal)}</small></div>
        <div class="tile"><span>Topics</span><b>${num(b.topics)}</b><small>${num(b.partitions)} partitions</small></div>
        <div class="tile"><span>Groups</span><b>${num(b.groups)}</b></div>
        <div class="tile"><span>Version</span><b>${b.version}</b><small>Node ${b.node} · pid ${b.pid}</small></div>
      </div>
      <h2>Listeners</h2>
      <table class="grid"><thead><tr><th>Name</th><th>Protocol</th><th>Bound</th><th>Advertised</th></tr></thead>
        <tbody>${b.listeners.map((l) => html`<tr><td>${l.name}</td><td>${l.protocol}</td><td class="mono">${l.bind}</td><td class="mono">${l.advertised}</td></tr>`)}
          <tr><td>HTTP</td><td>HTTP</td><td class="mono">${b.http.host}:${b.http.port}</td><td class="muted">console, /api, /metrics</td></tr></tbody></table>
      <p class="summary">Cluster <code>${b.clusterId}</code> · node ${b.nodeId} · data in <code>${b.dataDir}</code></p>
      <h2>Configuration and limits in effect</h2>
      <label class="controls"><input type="checkbox" checked=${all} onChange=${(e) => setAll(e.currentTarget.checked)} /> show defaults too</label>
      <table class="grid settings" data-testid="settings"><thead><tr><th>Setting</th><th>Value</th><th>Default</th><th>Meaning</th></tr></thead>
        <tbody>${b.settings.filter((s) => all || s.changed).map((s) => html`<tr key=${s.flag} class=${s.changed ? 'changed' : ''}>
          <td class="mono nowrap">--${s.flag}</td><td class="mono">${JSON.stringify(s.value)}</td><td class="mono muted">${JSON.stringify(s.default)}</td><td class="small">${s.help}</td></tr>`)}</tbody></table>`}
  </section>`;
}
