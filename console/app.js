// The console's shell: navigation and a hash router (#/topics, #/topics/<name>, #/groups, #/groups/<id>,
// #/streams, #/broker). Every page refreshes itself from /api/... every two seconds.
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { BrokerPage, GroupPage, GroupsPage, StreamsPage, TopicPage, TopicsPage } from './pages.js';

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { page: parts[0] || 'topics', arg: parts.slice(1).join('/') };
}

const NAV = [
  ['topics', 'Topics'],
  ['groups', 'Groups'],
  ['streams', 'Captured streams'],
  ['broker', 'Broker'],
];

function App() {
  const [where, setWhere] = useState(route());
  useEffect(() => {
    const onHash = () => setWhere(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const { page, arg } = where;
  let body;
  if (page === 'topics') body = arg ? html`<${TopicPage} key=${arg} name=${arg} />` : html`<${TopicsPage} />`;
  else if (page === 'groups') body = arg ? html`<${GroupPage} key=${arg} id=${arg} />` : html`<${GroupsPage} />`;
  else if (page === 'streams') body = html`<${StreamsPage} />`;
  else if (page === 'broker') body = html`<${BrokerPage} />`;
  else body = html`<p>No page "${page}". <a href="#/topics">Topics</a></p>`;
  return html`<header class="top">
      <a class="brand" href="#/topics">kafkaesque</a>
      <nav>${NAV.map(([id, label]) => html`<a href=${`#/${id}`} class=${page === id ? 'active' : ''}>${label}</a>`)}</nav>
      <a class="api" href="/api/" target="_blank" rel="noopener">JSON API</a>
    </header>
    <main>${body}</main>`;
}

// Preact diffs against what is in the element: the static "Loading…" placeholder goes first.
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
