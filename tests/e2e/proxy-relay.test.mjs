// Relay exactness and header handling (PROXY.md §2.1, §3, §15.2, §20.1-2):
// the body bytes through the proxy equal what zai-sim sends directly for the
// same request, streaming or not, in both formats and on the native paths;
// X-Request-Id rules; SSE headers; client credentials never reach upstream;
// query strings are forwarded intact; hop-by-hop headers are dropped.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as h from './lib/harness.mjs';

let sim, proxy;
before(async () => {
  sim = await h.startSim();
  proxy = await h.startProxy(sim);
});

const CLIENT_AUTH = { authorization: `Bearer ${h.CLIENT_KEY}`, 'x-api-key': h.CLIENT_KEY, 'api-key': h.CLIENT_KEY };
const lower = (o) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

// [proxy path, sim path, format]
const ROUTES = [
  ['/v1/chat/completions', '/api/paas/v4/chat/completions', 'openai'],
  ['/api/paas/v4/chat/completions', '/api/paas/v4/chat/completions', 'openai'],
  ['/api/coding/paas/v4/chat/completions', '/api/coding/paas/v4/chat/completions', 'openai'],
  ['/v1/messages', '/api/anthropic/v1/messages', 'anthropic'],
  ['/api/anthropic/v1/messages', '/api/anthropic/v1/messages', 'anthropic'],
];

const bodyFor = (fmt, stream) => (fmt === 'openai' ? h.chatBody({ stream }) : h.messagesBody({ stream }));

async function viaProxy(path, body, headers = {}) {
  return h.fetchBytes(`${proxy.url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...CLIENT_AUTH, ...headers }, body,
  });
}

async function direct(path, fmt, body, headers = {}) {
  return h.fetchBytes(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(fmt === 'openai' ? h.simOpenAIAuth() : h.simAnthropicAuth()), ...headers },
    body,
  });
}

for (const [ppath, spath, fmt] of ROUTES) {
  for (const stream of [false, true]) {
    test(`byte-exact relay ${ppath} ${stream ? 'streaming' : 'non-streaming'}`, async () => {
      const body = bodyFor(fmt, stream);
      const d = await direct(spath, fmt, body, { 'anthropic-version': '2023-06-01' });
      const p = await viaProxy(ppath, body, { 'anthropic-version': '2023-06-01' });
      assert.equal(d.status, 200, d.text);
      assert.equal(p.status, 200, p.text);
      assert.ok(p.body.equals(d.body), `bodies differ (${p.body.length} vs ${d.body.length} bytes)`);
      assert.equal(p.headers.get('content-type'), d.headers.get('content-type'));
      if (stream) {
        assert.equal(p.headers.get('x-accel-buffering'), 'no');
        assert.equal(p.headers.get('cache-control'), 'no-cache');
      } else {
        assert.equal(Number(p.headers.get('content-length')), p.body.length);
      }
      const s = await sim.ctl.stats();
      assert.equal(s.last_request.path, spath);
    });
  }
}

test('byte-exact relay of scripted odd bytes: spaced JSON, a JSON array, a one-byte stream, custom headers', async () => {
  const odd = '{"id": "msg123", "content": "hello"}';
  await sim.ctl.script({
    match: { path_prefix: '/api/paas/v4' },
    responses: [
      { status: 200, headers: { 'content-type': 'application/json', 'x-upstream-custom': 'kept' }, body: odd },
      { status: 200, headers: { 'content-type': 'application/json' }, body: '[1, 2 ,3]' },
      { status: 200, headers: { 'content-type': 'text/event-stream' }, stream: { events: ['d'], interval_ms: 1 } },
    ],
  });
  const a = await viaProxy('/v1/chat/completions', h.chatBody());
  assert.equal(a.status, 200);
  assert.equal(a.text, odd);
  assert.equal(a.headers.get('x-upstream-custom'), 'kept');
  const b = await viaProxy('/v1/chat/completions', h.chatBody());
  assert.equal(b.text, '[1, 2 ,3]');
  const c = await viaProxy('/v1/chat/completions', h.chatBody({ stream: true }));
  assert.equal(c.status, 200);
  assert.equal(c.text, 'd');
});

test('relayed 4xx error keeps status, custom headers and the exact body', async () => {
  const body = '{"error": {"code": "1214", "message": "bad field zai-sim-provider-text"}}';
  await sim.ctl.script({
    match: { path_prefix: '/api/anthropic' },
    responses: [{ status: 422, headers: { 'content-type': 'application/json', 'x-upstream-error': 'preserved' }, body }],
  });
  const r = await viaProxy('/v1/messages', h.messagesBody());
  assert.equal(r.status, 422);
  assert.equal(r.text, body);
  assert.equal(r.headers.get('x-upstream-error'), 'preserved');
});

test('X-Request-Id: generated when absent, kept when valid, regenerated when invalid; sent upstream', async () => {
  const gen = await viaProxy('/v1/chat/completions', h.chatBody());
  const id = gen.headers.get('x-request-id');
  assert.match(id, /^[0-9a-f]{32}$/);
  let s = await sim.ctl.stats();
  assert.equal(lower(s.last_request.headers)['x-request-id'], id);

  const mine = 'e2e.Req-1:abc_Z';
  const kept = await viaProxy('/v1/chat/completions', h.chatBody(), { 'x-request-id': mine });
  assert.equal(kept.headers.get('x-request-id'), mine);
  s = await sim.ctl.stats();
  assert.equal(lower(s.last_request.headers)['x-request-id'], mine);

  for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', 'slash/id']) {
    const r = await viaProxy('/v1/chat/completions', h.chatBody(), { 'x-request-id': bad });
    const got = r.headers.get('x-request-id');
    assert.match(got, /^[0-9a-f]{32}$/, `invalid ${JSON.stringify(bad)} must be replaced`);
    s = await sim.ctl.stats();
    assert.equal(lower(s.last_request.headers)['x-request-id'], got);
  }
  const max = 'a'.repeat(128);
  const r = await viaProxy('/v1/chat/completions', h.chatBody(), { 'x-request-id': max });
  assert.equal(r.headers.get('x-request-id'), max);
});

test('upstream sees the proxy key in the route\'s form and never the client credentials', async () => {
  await sim.ctl.reset();
  await viaProxy('/v1/chat/completions', h.chatBody());
  let s = await sim.ctl.stats();
  let hdr = lower(s.last_request.headers);
  assert.equal(hdr.authorization, '<matched>');
  assert.equal(hdr['x-api-key'], undefined);
  assert.equal(hdr['api-key'], undefined);

  await viaProxy('/v1/messages', h.messagesBody(), { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'e2e-beta' });
  s = await sim.ctl.stats();
  hdr = lower(s.last_request.headers);
  assert.equal(hdr['x-api-key'], '<matched>');
  assert.equal(hdr.authorization, undefined);
  assert.equal(hdr['api-key'], undefined);
  assert.equal(hdr['anthropic-version'], '2023-06-01');
  assert.equal(hdr['anthropic-beta'], 'e2e-beta');
  assert.equal(h.statNum(s.auth.mismatched), 0);
  assert.equal(h.statNum(s.auth.matched), 2);
  assert.ok(!JSON.stringify(s).includes(h.CLIENT_KEY));
});

test('query string forwarded intact: /v1/messages?beta=true', async () => {
  const r = await viaProxy('/v1/messages?beta=true', h.messagesBody(), { 'anthropic-version': '2023-06-01' });
  assert.equal(r.status, 200);
  const s = await sim.ctl.stats();
  assert.equal(s.last_request.path, '/api/anthropic/v1/messages');
  assert.match(s.last_request.query, /^\??beta=true$/);
  const r2 = await viaProxy('/v1/chat/completions?a=1&b=%2F', h.chatBody());
  assert.equal(r2.status, 200);
  const s2 = await sim.ctl.stats();
  assert.match(s2.last_request.query, /^\??a=1&b=%2F$/);
});

test('hop-by-hop and proxy headers are not forwarded; others pass unchanged', async () => {
  const res = await h.rawExchange(proxy.port, {
    method: 'POST',
    path: '/v1/chat/completions',
    headers: [
      ['Content-Type', 'application/json'],
      ['Connection', 'keep-alive, X-Drop-Me'],
      ['X-Drop-Me', 'dropped'],
      ['Keep-Alive', 'timeout=5'],
      ['Proxy-Authorization', `Basic ${h.CLIENT_KEY}`],
      ['X-Keep-Me', 'kept'],
      ['User-Agent', 'e2e-agent/1.0'],
      ['OpenAI-Organization', 'org-e2e'],
    ],
    body: h.chatBody(),
  });
  assert.equal(res.status, 200);
  const hdr = lower((await sim.ctl.stats()).last_request.headers);
  for (const k of ['x-drop-me', 'keep-alive', 'proxy-authorization', 'connection']) {
    assert.equal(hdr[k], undefined, `${k} must not reach upstream`);
  }
  assert.equal(hdr['x-keep-me'], 'kept');
  assert.equal(hdr['user-agent'], 'e2e-agent/1.0');
  assert.equal(hdr['openai-organization'], 'org-e2e');
  assert.equal(hdr['accept-encoding'], 'identity');
});

test('no User-Agent from the client → zai-proxy/<version> upstream', async () => {
  const res = await h.rawExchange(proxy.port, {
    method: 'POST', path: '/v1/chat/completions', headers: [['Content-Type', 'application/json']], body: h.chatBody(),
  });
  assert.equal(res.status, 200);
  const hdr = lower((await sim.ctl.stats()).last_request.headers);
  assert.equal(hdr['user-agent'], `zai-proxy/${h.VERSION}`);
});

test('logs: no keys, prompts or provider text', async () => {
  await h.stopAndCheckProxies();
});
