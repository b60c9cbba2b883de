// Admission (PROXY.md §5.1, §8, §19 items 8-10): worker slots and the
// bounded admission queue. QUEUE_MAX=0 rejects at once with 503 queue_full;
// a full queue rejects, a queue wait over QUEUE_TIMEOUT gets 503
// queue_timeout; a queued request runs once the slot frees; a queued client
// that leaves never reaches the upstream and takes no rate token.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as h from './lib/harness.mjs';

const UP = '/api/paas/v4/chat/completions';
let sim, noQueue, shortQueue, queue;
before(async () => {
  sim = await h.startSim();
  [noQueue, shortQueue, queue] = await Promise.all([
    h.startProxy(sim, { MAX_WORKERS: '1', QUEUE_MAX: '0' }),
    h.startProxy(sim, { MAX_WORKERS: '1', QUEUE_MAX: '1', QUEUE_TIMEOUT: '2s' }),
    h.startProxy(sim, { MAX_WORKERS: '1', QUEUE_MAX: '5' }),
  ]);
});

const post = (proxy, path, body, headers = {}) => h.fetchBytes(`${proxy.url}${path}`, {
  method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers }, body,
});
const slow = (proxy, ttfb) => post(proxy, '/v1/chat/completions', h.chatBody(), { 'X-Sim-TTFB': ttfb });
const simInFlight = async () => h.statNum((await sim.ctl.stats()).in_flight);
const simRequests = async () => h.statNum((await sim.ctl.stats()).requests[UP]);
const slotDepth = async (proxy) => h.sumSamples(await h.scrape(proxy), 'zai_proxy_queue_depth', { stage: 'slot' });

function assert503(r, code) {
  assert.equal(r.status, 503, r.text);
  assert.equal(r.headers.get('retry-after'), '1');
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const j = JSON.parse(r.text);
  if (j.type !== 'error') {
    assert.equal(j.error.code, code);
    assert.equal(j.error.type, 'server_error');
    assert.equal(j.error.param, null);
  }
  return j;
}

test('MAX_WORKERS=1 QUEUE_MAX=0: a second request gets 503 queue_full with Retry-After', async () => {
  const first = slow(noQueue, '2s');
  await h.waitUntil(async () => (await simInFlight()) === 1, 3000, 'first request upstream');
  assert503(await post(noQueue, '/v1/chat/completions', h.chatBody()), 'queue_full');
  const a = assert503(await post(noQueue, '/v1/messages', h.messagesBody()), 'queue_full');
  assert.equal(a.type, 'error');
  assert.equal(a.error.type, 'overloaded_error');
  assert.equal((await first).status, 200);

  const m = await h.scrape(noQueue);
  assert.equal(h.sumSamples(m, 'zai_proxy_rate_limit_rejections_total', { client: 'source-30', reason: 'queue_full' }), 2);
  assert.equal(h.sumSamples(m, 'zai_proxy_requests_total', { status_code: '503' }), 2);
  assert.equal(h.sumSamples(m, 'zai_proxy_request_duration_seconds_count', { status_code: '503' }), 2,
    'capacity rejections are in the duration histogram');
  assert.equal(h.sumSamples(m, 'zai_proxy_requests_total', { path: '/v1/chat/completions', status_code: '200' }), 1);
});

test('QUEUE_MAX=1 QUEUE_TIMEOUT=2s: the queued request gets 503 queue_timeout after ~2 s; overflow is queue_full', async () => {
  const first = slow(shortQueue, '4s');
  await h.waitUntil(async () => (await simInFlight()) === 1, 3000, 'first request upstream');
  const t0 = Date.now();
  const queued = post(shortQueue, '/v1/chat/completions', h.chatBody());
  await h.waitUntil(async () => (await slotDepth(shortQueue)) === 1, 1800, 'second request queued');
  assert503(await post(shortQueue, '/v1/chat/completions', h.chatBody()), 'queue_full');
  const q = await queued;
  const waited = Date.now() - t0;
  assert503(q, 'queue_timeout');
  assert.ok(waited >= 1900 && waited < 3900, `queue_timeout after ${waited} ms`);
  assert.equal((await first).status, 200);
  const m = await h.scrape(shortQueue);
  assert.equal(h.sumSamples(m, 'zai_proxy_rate_limit_rejections_total', { reason: 'queue_timeout' }), 1);
  assert.equal(h.sumSamples(m, 'zai_proxy_rate_limit_rejections_total', { reason: 'queue_full' }), 1);
  assert.equal(h.sumSamples(m, 'zai_proxy_queue_depth', { stage: 'slot' }), 0);
});

test('QUEUE_MAX=5: a queued request succeeds after the first completes', async () => {
  const done = [];
  const first = slow(queue, '1500ms').then((r) => { done.push('first'); return r; });
  await h.waitUntil(async () => (await simInFlight()) === 1, 3000, 'first request upstream');
  const second = post(queue, '/v1/chat/completions', h.chatBody()).then((r) => { done.push('second'); return r; });
  await h.waitUntil(async () => (await slotDepth(queue)) === 1, 1400, 'second request queued');
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a.status, 200);
  assert.equal(b.status, 200, b.text);
  assert.deepEqual(done, ['first', 'second']);
  const m = await h.scrape(queue);
  assert.equal(h.sumSamples(m, 'zai_proxy_queue_wait_seconds_count'), 2, 'one observation per admission');
  assert.ok(h.sumSamples(m, 'zai_proxy_queue_wait_seconds_sum') > 0.5, 'the second waited for the slot');
});

test('a queued client that leaves never reaches the upstream and takes no rate token', async () => {
  const before1 = await simRequests();
  const first = slow(queue, '3s');
  await h.waitUntil(async () => (await simInFlight()) === 1, 3000, 'first request upstream');
  const leaver = await h.rawRequest(queue.port, {
    method: 'POST', path: '/v1/chat/completions', headers: { 'Content-Type': 'application/json' }, body: h.chatBody(),
  });
  await h.waitUntil(async () => (await slotDepth(queue)) === 1, 2000, 'leaver queued');
  leaver.destroy();
  await h.waitUntil(async () => (await slotDepth(queue)) === 0, 2500, 'leaver removed from the queue while the first still runs');
  assert.equal((await first).status, 200);
  await sleep(300);
  assert.equal((await simRequests()) - before1, 1, 'only the first request reached the upstream');
  const m = await h.scrape(queue);
  assert.equal(h.sumSamples(m, 'zai_proxy_requests_total', { status_code: '499' }), 1);
  // One rate-limiter admission per upstream attempt (2 from the previous test
  // + 1 here), checked once the rate limiter exports its wait histogram.
  if (m.types.has('zai_proxy_rate_limit_wait_seconds')) {
    assert.equal(h.sumSamples(m, 'zai_proxy_rate_limit_wait_seconds_count'), 3);
  }
  assert.equal(h.sumSamples(m, 'zai_proxy_concurrent_requests'), 0);
});

test('logs: no keys, prompts or provider text', async () => {
  await h.stopAndCheckProxies();
});
