// Failures before commit and the timeouts around a request (PROXY.md §4.1,
// §7.1, §16): empty or malformed 2xx bodies and transport errors are retried
// with backoff and end in a 502; a late status line is a 504 without retry;
// non-generation routes relay what they get; a quiet stream outlives the
// client header timeout while a client that stalls mid-request does not.
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, test } from 'node:test';
import * as h from './lib/harness.mjs';

let sim, proxy, strict;
before(async () => {
  sim = await h.startSim();
  [proxy, strict] = await Promise.all([
    h.startProxy(sim, { MAX_RETRIES: '1' }),
    h.startProxy(sim, {
      MAX_RETRIES: '1', UPSTREAM_FIRST_BYTE_TIMEOUT: '1s', CLIENT_HEADER_TIMEOUT: '1s',
      MAX_REQUEST_BODY_BYTES: '2048',
    }),
  ]);
});

const JSON_CT = { 'Content-Type': 'application/json' };
const UPSTREAM_CHAT = '/api/paas/v4/chat/completions';

async function upstreamCalls(p) {
  const s = await sim.ctl.stats();
  return h.statNum(s.requests?.[p]);
}

function errorCount(expo, type) {
  return h.sumSamples(expo, 'zai_proxy_upstream_errors_total', { error_type: type });
}

async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

for (const [scenario, stream, errorType] of [
  ['empty-200', false, 'truncated_response'],
  ['truncated-json-200', false, 'truncated_response'],
  ['empty-stream', true, 'empty_streaming'],
]) {
  test(`${scenario}: retried once after 1 s, then 502 upstream_error; ${errorType} counted per attempt`, async () => {
    const before1 = await upstreamCalls(UPSTREAM_CHAT);
    const m0 = await h.scrape(proxy);
    const t0 = Date.now();
    const r = await h.rawExchange(proxy.port, {
      method: 'POST', path: '/v1/chat/completions', body: h.chatBody({ stream }),
      headers: { ...JSON_CT, 'X-Sim-Scenario': scenario },
    });
    const elapsed = Date.now() - t0;
    assert.equal(r.status, 502);
    const body = JSON.parse(r.body.toString());
    assert.equal(body.error.code, 'upstream_error');
    assert.equal(body.error.type, 'server_error');
    assert.ok(elapsed >= 900, `the retry waited backoff(1) = 1 s (took ${elapsed} ms)`);
    assert.equal(await upstreamCalls(UPSTREAM_CHAT) - before1, 2, 'MAX_RETRIES=1 → two upstream calls');
    const m1 = await h.scrape(proxy);
    assert.equal(errorCount(m1, errorType) - errorCount(m0, errorType), 2);
    assert.ok(proxy.records.some((l) => l.msg === 'retrying' && l.reason === errorType), 'retry logged');
  });
}

test('Z.AI business errors: retryable classes retried, quota and terminal final at once, with X-Zai-* headers', async () => {
  const cases = [
    // scenario, calls with MAX_RETRIES=1, class, code, stream request
    ['err-1302', 2, 'concurrency', '1302', false],
    ['err-1303', 2, 'frequency', '1303', false],
    ['err-1312', 2, 'model_congestion', '1312', false],
    ['err-1308', 1, 'quota', '1308', false],
    ['err-1113', 1, 'terminal', '1113', false],
    ['stream-error-first-event', 2, null, null, true],
  ];
  for (const [scenario, calls, cls, code, stream] of cases) {
    const before1 = await upstreamCalls(UPSTREAM_CHAT);
    const direct = await h.fetchBytes(`${sim.url}${UPSTREAM_CHAT}`, {
      method: 'POST', body: h.chatBody({ stream }),
      headers: { ...JSON_CT, ...h.simOpenAIAuth(), 'X-Sim-Scenario': scenario },
    });
    const r = await h.rawExchange(proxy.port, {
      method: 'POST', path: '/v1/chat/completions', body: h.chatBody({ stream }),
      headers: { ...JSON_CT, 'X-Sim-Scenario': scenario },
    });
    assert.equal(await upstreamCalls(UPSTREAM_CHAT) - before1 - 1, calls, `${scenario}: upstream calls`);
    assert.equal(r.status, direct.status, scenario);
    assert.equal(r.body.toString(), direct.text, `${scenario}: the final body is relayed exactly`);
    if (cls) {
      assert.equal(r.headers['x-zai-error-class'], cls, scenario);
      assert.equal(r.headers['x-zai-error-code'], code, scenario);
    }
  }
  const quota = await h.rawExchange(proxy.port, {
    method: 'POST', path: '/v1/chat/completions', body: h.chatBody(),
    headers: { ...JSON_CT, 'X-Sim-Scenario': 'err-1308' },
  });
  assert.match(quota.headers['x-zai-rate-limit-reset'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Number(quota.headers['retry-after']) > 0, 'Retry-After derived from the reset time');
  const m = await h.scrape(proxy);
  assert.ok(h.sumSamples(m, 'zai_proxy_retry_attempts_total', { reason: '429' }) >= 4);
  assert.ok(h.sumSamples(m, 'zai_proxy_zai_errors_total', { class: 'quota', code: '1308' }) >= 2);
  // 1302 answers shrink the adaptive concurrency limit below MAX_WORKERS (10).
  assert.ok(h.sumSamples(m, 'zai_proxy_concurrency_adjustments_total', { direction: 'decrease' }) >= 1);
  const limit = h.sumSamples(m, 'zai_proxy_concurrency_limit');
  assert.ok(limit >= 1 && limit < 10, `concurrency limit ${limit}`);
  const health = await (await fetch(`${proxy.url}/health`)).json();
  assert.equal(health.concurrency.limit, limit);
});

test('a 429 body over the 32 KiB budget: classified unknown, retried, then relayed complete', async () => {
  const before1 = await upstreamCalls(UPSTREAM_CHAT);
  const r = await h.rawExchange(proxy.port, {
    method: 'POST', path: '/v1/chat/completions', body: h.chatBody(),
    headers: { ...JSON_CT, 'X-Sim-Scenario': 'big-error-body' },
  });
  assert.equal(r.status, 429);
  assert.equal(r.body.length, 40 * 1024, 'every byte of the final body');
  assert.equal(r.headers['x-zai-error-class'], 'unknown');
  assert.equal(await upstreamCalls(UPSTREAM_CHAT) - before1, 2);
});

test('a non-JSON 200 on GET /v1/models is relayed as is, not retried', async () => {
  await sim.ctl.script({
    match: { path_prefix: '/api/paas/v4/models' },
    responses: [{ status: 200, headers: { 'Content-Type': 'text/html' }, body: '<html>models</html>' }],
  });
  const before1 = await upstreamCalls('/api/paas/v4/models');
  const r = await h.rawExchange(proxy.port, { method: 'GET', path: '/v1/models' });
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), '<html>models</html>');
  assert.equal(r.headers['content-type'], 'text/html');
  assert.equal(await upstreamCalls('/api/paas/v4/models') - before1, 1);
});

test('transport errors: retried, then 502; upstream_connection counted per attempt', async () => {
  const down = await h.startProxy(null, { ZAI_BASE_URL: `http://127.0.0.1:${await closedPort()}`, MAX_RETRIES: '1' });
  const r = await h.rawExchange(down.port, {
    method: 'POST', path: '/v1/messages', body: h.messagesBody(),
    headers: { ...JSON_CT, 'anthropic-version': '2023-06-01' },
  });
  assert.equal(r.status, 502);
  const body = JSON.parse(r.body.toString());
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'api_error');
  assert.equal(errorCount(await h.scrape(down), 'upstream_connection'), 2);
});

test('no status line within UPSTREAM_FIRST_BYTE_TIMEOUT → 504 upstream_timeout, not retried', async () => {
  const before1 = await upstreamCalls(UPSTREAM_CHAT);
  const t0 = Date.now();
  const r = await h.rawExchange(strict.port, {
    method: 'POST', path: '/v1/chat/completions', body: h.chatBody(),
    headers: { ...JSON_CT, 'X-Sim-TTFB': '3s' },
  });
  assert.equal(r.status, 504);
  assert.equal(JSON.parse(r.body.toString()).error.code, 'upstream_timeout');
  assert.ok(Date.now() - t0 < 2900, 'answered at the first-byte timeout, before the upstream');
  assert.equal(await upstreamCalls(UPSTREAM_CHAT) - before1, 1);
  assert.equal(errorCount(await h.scrape(strict), 'upstream_timeout'), 1);
});

test('a quiet stream outlives CLIENT_HEADER_TIMEOUT; only the upstream idle timeout applies', async () => {
  const r = await h.rawExchange(strict.port, {
    method: 'POST', path: '/v1/chat/completions', body: h.chatBody({ stream: true }),
    headers: { ...JSON_CT, 'X-Sim-TTFB': '500ms', 'X-Sim-Tokens-Per-Sec': '2', 'X-Sim-Output-Tokens': '5' },
  }, 15000);
  assert.equal(r.status, 200);
  const text = r.body.toString();
  assert.ok(text.endsWith('data: [DONE]\n\n'), 'the whole stream arrived');
  assert.equal(h.sseEvents(text).length, 7, 'five words, the finish chunk and [DONE]');
});

test('a client that stops sending mid-headers is disconnected after CLIENT_HEADER_TIMEOUT', async () => {
  const s = await h.connect(strict.port);
  const closed = new Promise((resolve) => s.once('close', resolve));
  s.on('error', () => {});
  s.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
  const t0 = Date.now();
  const outcome = await Promise.race([closed.then(() => 'closed'), sleep(6000).then(() => 'open')]);
  s.destroy();
  assert.equal(outcome, 'closed');
  assert.ok(Date.now() - t0 < 4000, 'cut near the 1 s timeout');
});

test('bodies far over MAX_REQUEST_BODY_BYTES are refused by the HTTP layer with 413 and a closed connection', async () => {
  const r = await h.rawExchange(strict.port, {
    method: 'POST', path: '/v1/messages', body: 'x'.repeat(10000),
    headers: { ...JSON_CT, 'anthropic-version': '2023-06-01' },
  });
  assert.equal(r.status, 413);
  assert.equal((r.headers.connection ?? '').toLowerCase(), 'close');
});

test('logs: no keys, prompts or provider text', async () => {
  await h.stopAndCheckProxies();
});
