// Process lifecycle (PROXY.md §1, §12.1-12.2, §14, §17): configuration
// errors exit 2 naming the variable, check-config hides secrets, version
// output, /health and /ready shapes, the built-in simulator fallback, and a
// SIGTERM that drains an in-flight stream before exiting 0.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as h from './lib/harness.mjs';

let sim;
before(async () => { sim = await h.startSim(); });

const validEnv = (extra = {}) => h.proxyEnv(sim, extra);

test('invalid configuration exits 2 and names the variable', () => {
  const cases = [
    ['MAX_WORKERS', 'abc'], ['UPSTREAM_IDLE_TIMEOUT', '-3s'], ['LOG_LEVEL', 'loud'],
    ['DEPLOYMENT_VARIANT', 'BAD!'], ['ZAI_BASE_URL', 'ftp://x'], ['MAX_RETRIES', 'abc'],
    ['RATE_LIMIT_CEILING_ALPHA', '2.0'], ['TOKEN_COUNTING_ENABLED', 'maybe'], ['QUEUE_TIMEOUT', 'not-a-duration'],
    ['MAX_REQUEST_BODY_BYTES', '10'], ['LISTEN_ADDR', '127.0.0.1:99999'],
  ];
  for (const [name, value] of cases) {
    for (const args of [[], ['check-config']]) {
      const r = h.runProxy(args, validEnv({ [name]: value }));
      assert.equal(r.signal, null, `${name}=${value} ${args}: killed (${r.signal}); did it start serving?`);
      assert.equal(r.code, 2, `${name}=${value} ${args}: exit ${r.code}\n${r.stderr}`);
      assert.ok(`${r.stderr}${r.stdout}`.includes(name), `${name}=${value}: output does not name the variable:\n${r.stderr}`);
    }
  }
});

test('missing key with ZAI_SIM_FALLBACK=false exits 2; a bad key is named but never echoed', () => {
  const nokey = h.runProxy([], validEnv({ ZAI_API_KEY: '', ZAI_SIM_FALLBACK: 'false' }));
  assert.equal(nokey.code, 2, nokey.stderr);
  assert.ok(nokey.stderr.includes('ZAI_API_KEY'));
  const secret = `sk-inner space-${h.UPSTREAM_KEY}`;
  const bad = h.runProxy([], validEnv({ ZAI_API_KEY: secret }));
  assert.equal(bad.code, 2, bad.stderr);
  assert.ok(bad.stderr.includes('ZAI_API_KEY'));
  assert.ok(!`${bad.stderr}${bad.stdout}`.includes(h.UPSTREAM_KEY), 'the key value must not be echoed');
});

test('booleans accept any case (OFF, Yes)', () => {
  for (const v of ['OFF', 'Yes', 'TRUE', '0']) {
    const r = h.runProxy(['check-config'], validEnv({ TOKEN_COUNTING_ENABLED: v }));
    assert.equal(r.code, 0, `TOKEN_COUNTING_ENABLED=${v}: ${r.stderr}`);
  }
});

test('check-config prints ZAI_API_KEY=set and never the key', () => {
  const r = h.runProxy(['check-config'], validEnv({ PROXY_API_KEYS: h.CLIENT_KEY, ADMIN_TOKEN: 'e2e-admin-token-99' }));
  assert.equal(r.code, 0, r.stderr);
  const out = `${r.stdout}${r.stderr}`;
  assert.match(out, /ZAI_API_KEY=set/);
  assert.match(out, /PROXY_API_KEYS=set/);
  assert.match(out, /MAX_WORKERS=10\b/);
  for (const s of [h.UPSTREAM_KEY, h.CLIENT_KEY, 'e2e-admin-token-99']) assert.ok(!out.includes(s), `${s} printed`);
  const unset = h.runProxy(['check-config'], validEnv({ ZAI_API_KEY: '' }));
  assert.equal(unset.code, 0, unset.stderr);
  assert.match(`${unset.stdout}${unset.stderr}`, /ZAI_API_KEY=unset/);
});

test('version prints "zai-proxy <version> (commit <c>, built <t>)" and exits 0', () => {
  const r = h.runProxy(['version'], {});
  assert.equal(r.code, 0, r.stderr);
  const m = /^zai-proxy (\S+) \(commit (\S+), built (\S+)\)\n?$/.exec(r.stdout);
  assert.ok(m, JSON.stringify(r.stdout));
  assert.equal(m[1], h.VERSION);
});

test('unknown command exits non-zero', () => {
  const r = h.runProxy(['frobnicate'], validEnv());
  assert.notEqual(r.code, 0);
});

test('/health shape with a key; /ready; HEAD', async () => {
  const proxy = await h.startProxy(sim, { MAX_WORKERS: '7', QUEUE_MAX: '42' });
  const res = await h.fetchBytes(`${proxy.url}/health`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const j = JSON.parse(res.text);
  assert.deepEqual(Object.keys(j), ['concurrency', 'quota', 'rate_limit', 'status', 'upstream']);
  assert.equal(j.status, 'ok');
  assert.equal(j.upstream, 'zai');
  assert.deepEqual(Object.keys(j.concurrency), ['adaptive', 'limit', 'max_workers', 'in_flight', 'queued', 'queue_max']);
  assert.deepEqual(j.concurrency, { adaptive: true, limit: 7, max_workers: 7, in_flight: 0, queued: 0, queue_max: 42 });
  assert.deepEqual(j.quota, { enabled: false, fresh: false });
  assert.deepEqual(Object.keys(j.rate_limit), ['current_rate', 'ceiling', 'hold', 'restored_from_state'],
    'no ceiling_updated_at before learning, no state_file with persistence off');
  assert.equal(j.rate_limit.current_rate, 500);
  assert.equal(j.rate_limit.restored_from_state, false);
  assert.ok(!res.text.includes(h.UPSTREAM_KEY));

  const ready = await h.fetchBytes(`${proxy.url}/ready`);
  assert.equal(ready.status, 200);
  assert.deepEqual(JSON.parse(ready.text), { status: 'ready' });

  const head = await h.rawExchange(proxy.port, { method: 'HEAD', path: '/health' });
  assert.equal(head.status, 200);
  assert.equal(head.bodyLength, 0);
  assert.equal(await proxy.stop(), proxy.exit);
  assert.deepEqual(proxy.exit, { code: 0, signal: null });
});

test('no ZAI_API_KEY: built-in simulator serves, /health says "simulator", a WARN banner is logged', async () => {
  const proxy = await h.startProxy(null, { ZAI_API_KEY: undefined, ZAI_BASE_URL: undefined });
  const j = JSON.parse((await h.fetchBytes(`${proxy.url}/health`)).text);
  assert.equal(j.upstream, 'simulator');
  const r = await h.fetchBytes(`${proxy.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: h.chatBody(),
  });
  assert.equal(r.status, 200, r.text);
  assert.ok(JSON.parse(r.text).choices[0].message.content.length > 0);
  assert.ok(proxy.records.some((x) => x.level === 'warn' && /simulator/i.test(JSON.stringify(x))), 'WARN banner');
  await proxy.stop();
  assert.deepEqual(proxy.exit, { code: 0, signal: null });
});

test('SIGTERM drains an in-flight stream, /ready turns 503, exit 0 within SHUTDOWN_GRACE', async () => {
  const proxy = await h.startProxy(sim, { SHUTDOWN_GRACE: '10s' });
  const body = h.chatBody({ stream: true, maxTokens: 1000 });
  const knobs = { 'X-Sim-Tokens-Per-Sec': '10', 'X-Sim-Output-Tokens': '25' };
  const direct = await h.fetchBytes(`${sim.url}/api/paas/v4/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...h.simOpenAIAuth(), 'X-Sim-Tokens-Per-Sec': '0', 'X-Sim-Output-Tokens': '25' }, body,
  });
  assert.equal(direct.status, 200);

  const stream = await h.rawRequest(proxy.port, {
    method: 'POST', path: '/v1/chat/completions', headers: { 'Content-Type': 'application/json', ...knobs }, body,
  });
  await stream.waitFor((r) => h.sseEvents(r.body.toString()).length >= 2, 5000, 'first events');
  const t0 = Date.now();
  proxy.child.kill('SIGTERM');

  // /ready answers 503 shutting_down, or the listener is already closed
  // (connection refused or dropped): both are correct after the signal.
  let answered503 = null;
  await h.waitUntil(async () => {
    let r;
    try {
      r = await h.rawExchange(proxy.port, { method: 'GET', path: '/ready' }, 1000);
    } catch {
      return true;
    }
    if (r.status === 503) answered503 = r;
    return r.status === 503;
  }, 3000, '/ready 503 or connection refused after SIGTERM');
  if (answered503) {
    assert.deepEqual(JSON.parse(answered503.body.toString()), { status: 'not_ready', reason: 'shutting_down' });
    assert.equal(answered503.headers['retry-after'], '5');
  }
  assert.ok(!stream.complete, 'the stream was still in flight when shutdown began');

  await stream.end(10000);
  stream.destroy();
  assert.equal(stream.status, 200);
  assert.ok(stream.body.equals(direct.body), 'the drained stream is complete and exact');
  const ex = await proxy.waitExit(11000 - (Date.now() - t0));
  assert.ok(ex, 'exited within SHUTDOWN_GRACE');
  assert.deepEqual(ex, { code: 0, signal: null });
  assert.ok(proxy.records.some((r) => r.msg === 'request' && r.status === 200), 'drained request logged');
});

test('logs: no keys, prompts or provider text', async () => {
  await h.stopAndCheckProxies();
});
