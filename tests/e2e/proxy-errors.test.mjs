// Errors the proxy generates itself (PROXY.md §8): 413 over
// MAX_REQUEST_BODY_BYTES in the route's format (exactly the limit passes),
// inbound-auth 401 with WWW-Authenticate (Bearer and x-api-key accepted),
// 404 for unknown paths, 405 on local endpoints, 400 for malformed paths.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as h from './lib/harness.mjs';

const LIMIT = 4096;
let sim, proxy, authProxy;
before(async () => {
  sim = await h.startSim();
  [proxy, authProxy] = await Promise.all([
    h.startProxy(sim, { MAX_REQUEST_BODY_BYTES: String(LIMIT) }),
    h.startProxy(sim, { PROXY_API_KEYS: ` first-key , ${h.CLIENT_KEY} ` }),
  ]);
});

function assertOpenAIError(res, status, code, type = 'invalid_request_error') {
  assert.equal(res.status, status, res.body.toString());
  assert.match(res.headers['content-type'] ?? res.headers.get?.('content-type'), /^application\/json/);
  const j = JSON.parse(res.body.toString());
  assert.deepEqual(Object.keys(j), ['error']);
  assert.equal(j.error.code, code);
  assert.equal(j.error.type, type);
  assert.equal(j.error.param, null);
  assert.equal(typeof j.error.message, 'string');
  assert.ok(j.error.message.length > 0);
  return j;
}

function assertAnthropicError(res, status, type) {
  assert.equal(res.status, status, res.body.toString());
  assert.match(res.headers['content-type'] ?? res.headers.get?.('content-type'), /^application\/json/);
  const j = JSON.parse(res.body.toString());
  assert.equal(j.type, 'error');
  assert.equal(j.error.type, type);
  assert.equal(typeof j.error.message, 'string');
  assert.ok(j.error.message.length > 0);
  return j;
}

// A request body of exactly n bytes in the given format.
function bodyOfSize(fmt, n) {
  const base = fmt === 'openai' ? h.chatBody({ prompt: '' }) : h.messagesBody({ prompt: '' });
  const pad = n - Buffer.byteLength(base);
  assert.ok(pad >= 0);
  const out = fmt === 'openai' ? h.chatBody({ prompt: 'x'.repeat(pad) }) : h.messagesBody({ prompt: 'x'.repeat(pad) });
  assert.equal(Buffer.byteLength(out), n);
  return out;
}

test('413: body of MAX_REQUEST_BODY_BYTES+1 → JSON in the route format; exactly the limit passes', async () => {
  for (const [path, fmt] of [['/v1/chat/completions', 'openai'], ['/api/paas/v4/chat/completions', 'openai'],
    ['/v1/messages', 'anthropic'], ['/api/anthropic/v1/messages', 'anthropic']]) {
    const over = await h.rawExchange(proxy.port, {
      method: 'POST', path, headers: { 'Content-Type': 'application/json' }, body: bodyOfSize(fmt, LIMIT + 1),
    });
    if (fmt === 'openai') assertOpenAIError(over, 413, 'request_too_large');
    else assertAnthropicError(over, 413, 'request_too_large');
    assert.equal((over.headers.connection ?? '').toLowerCase(), 'close', `${path}: 413 closes the connection`);
    assert.match(over.headers['x-request-id'] ?? '', /^[0-9a-f]{32}$/);

    const at = await h.rawExchange(proxy.port, {
      method: 'POST', path, headers: { 'Content-Type': 'application/json', 'anthropic-version': '2023-06-01' }, body: bodyOfSize(fmt, LIMIT),
    });
    assert.equal(at.status, 200, `${path} at the limit: ${at.body.toString().slice(0, 200)}`);
  }
  const m = await h.scrape(proxy);
  assert.equal(h.sumSamples(m, 'zai_proxy_requests_total', { path: '/v1/messages', status_code: '413' }), 1);
});

test('401: missing key → 401 + WWW-Authenticate: Bearer in the route format', async () => {
  const cases = [
    ['/v1/chat/completions', 'openai'], ['/api/paas/v4/chat/completions', 'openai'], ['/v1/models', 'openai'],
    ['/v1/messages', 'anthropic'], ['/api/anthropic/v1/messages', 'anthropic'], ['/no/such/path', 'openai'],
  ];
  const before1 = await sim.ctl.stats();
  for (const [path, fmt] of cases) {
    const body = fmt === 'openai' ? h.chatBody() : h.messagesBody();
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { 'x-api-key': 'wrong' }, { authorization: `Basic ${h.CLIENT_KEY}` }]) {
      const r = await h.rawExchange(authProxy.port, { method: 'POST', path, headers: { 'Content-Type': 'application/json', ...headers }, body });
      if (fmt === 'openai') assertOpenAIError(r, 401, 'invalid_api_key');
      else assertAnthropicError(r, 401, 'authentication_error');
      assert.equal(r.headers['www-authenticate'], 'Bearer', `${path} ${JSON.stringify(headers)}`);
    }
  }
  const s = await sim.ctl.stats();
  assert.equal(h.statNum(s.requests), h.statNum(before1.requests), 'rejected requests never reach the upstream');
});

test('401: Bearer and x-api-key with any configured key are accepted', async () => {
  const ok = [
    ['/v1/chat/completions', h.chatBody(), { authorization: `Bearer ${h.CLIENT_KEY}` }],
    ['/v1/chat/completions', h.chatBody(), { 'x-api-key': 'first-key' }],
    ['/v1/messages', h.messagesBody(), { 'x-api-key': h.CLIENT_KEY, 'anthropic-version': '2023-06-01' }],
    ['/api/anthropic/v1/messages', h.messagesBody(), { authorization: 'Bearer first-key', 'anthropic-version': '2023-06-01' }],
  ];
  for (const [path, body, headers] of ok) {
    const r = await h.rawExchange(authProxy.port, { method: 'POST', path, headers: { 'Content-Type': 'application/json', ...headers }, body });
    assert.equal(r.status, 200, `${path} ${Object.keys(headers)}: ${r.body.toString().slice(0, 200)}`);
  }
  const nf = await h.rawExchange(authProxy.port, { method: 'GET', path: '/no/such/path', headers: { authorization: `Bearer ${h.CLIENT_KEY}` } });
  assertOpenAIError(nf, 404, 'not_found');
});

test('local endpoints need no client key', async () => {
  for (const p of ['/health', '/ready', '/metrics']) {
    const r = await h.rawExchange(authProxy.port, { method: 'GET', path: p });
    assert.equal(r.status, 200, p);
  }
});

test('404: unknown paths answer OpenAI-format not_found with a request id', async () => {
  for (const [method, path] of [['GET', '/'], ['POST', '/v2/chat/completions'], ['GET', '/healthz'], ['DELETE', '/api/other']]) {
    const r = await h.rawExchange(proxy.port, { method, path, headers: {} });
    const j = assertOpenAIError(r, 404, 'not_found');
    assert.ok(!JSON.stringify(j).includes(h.PROVIDER_MARKER));
    assert.match(r.headers['x-request-id'] ?? '', /^[0-9a-f]{32}$/);
  }
});

test('405: wrong method on a local endpoint → Allow header and OpenAI error', async () => {
  for (const [method, path, allow] of [['POST', '/health', /GET/], ['DELETE', '/metrics', /GET/], ['PUT', '/ready', /GET/],
    ['GET', '/admin/reset-rate-limit', /^POST$/]]) {
    const r = await h.rawExchange(proxy.port, { method, path, headers: {} });
    assertOpenAIError(r, 405, 'method_not_allowed');
    assert.match(r.headers.allow ?? '', allow, `${method} ${path}`);
  }
});

test('400: paths with a .. segment are rejected', async () => {
  for (const path of ['/v1/../metrics', '/api/paas/v4/../../x', '/..']) {
    const r = await h.rawExchange(proxy.port, { method: 'POST', path, headers: { 'Content-Type': 'application/json' }, body: h.chatBody() });
    assertOpenAIError(r, 400, 'bad_request');
  }
});

test('400 for a CONNECT authority-form target is a complete, delimited response', async () => {
  const r = await h.rawExchange(proxy.port, { method: 'CONNECT', path: '127.0.0.1:1' }, 2000);
  assertOpenAIError(r, 400, 'bad_request');
});

test('logs: no keys, prompts or provider text', async () => {
  await h.stopAndCheckProxies(['first-key']);
});
