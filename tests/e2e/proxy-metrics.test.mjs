// /metrics against the traffic actually sent (PROXY.md §12.3, §13, §15.3,
// §19 item 23): exact zai_proxy_requests_total per series, histogram counts
// and +Inf buckets, label values within the vocabularies of §13.1 (also
// after random paths, methods and model names), start-up gauges, promtool,
// and one access-log record per proxied request.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, test } from 'node:test';
import * as h from './lib/harness.mjs';

const VARIANT = 'e2e-metrics';
let sim, proxy;
before(async () => {
  sim = await h.startSim();
  proxy = await h.startProxy(sim, { MAX_WORKERS: '7', DEPLOYMENT_VARIANT: VARIANT });
});

const rnd = () => crypto.randomBytes(4).toString('hex');
const JSON_CT = { 'Content-Type': 'application/json' };
const ANT = { ...JSON_CT, 'anthropic-version': '2023-06-01' };

// [method, path, body, headers, expected status, path label, method label]
function plannedTraffic() {
  const t = [];
  const add = (n, ...r) => { for (let i = 0; i < n; i++) t.push(typeof r[1] === 'function' ? [r[0], r[1](), ...r.slice(2)] : r); };
  add(3, 'POST', '/v1/chat/completions', h.chatBody(), JSON_CT, 200, '/v1/chat/completions', 'POST');
  add(1, 'POST', '/v1/chat/completions', h.chatBody({ stream: true }), JSON_CT, 200, '/v1/chat/completions', 'POST');
  add(2, 'POST', '/v1/messages', h.messagesBody(), ANT, 200, '/v1/messages', 'POST');
  add(1, 'POST', '/v1/messages?beta=true', h.messagesBody({ stream: true }), ANT, 200, '/v1/messages', 'POST');
  add(1, 'GET', '/v1/models', undefined, {}, 200, '/v1/models', 'GET');
  add(2, 'POST', '/api/paas/v4/chat/completions', h.chatBody(), { ...JSON_CT, 'X-Sim-Scenario': 'err-500' }, 500, '/api/paas/v4/chat/completions', 'POST');
  add(1, 'POST', '/api/coding/paas/v4/chat/completions', h.chatBody({ stream: true }), JSON_CT, 200, '/api/coding/paas/v4/chat/completions', 'POST');
  add(1, 'POST', '/api/anthropic/v1/messages', h.messagesBody(), ANT, 200, '/api/anthropic/v1/messages', 'POST');
  add(4, 'GET', () => `/nope/${rnd()}`, undefined, {}, 404, 'other', 'GET');
  add(2, 'TRACE', () => `/junk-${rnd()}`, undefined, {}, 404, 'other', 'OTHER');
  add(1, 'GET', () => `/%ff%00/${rnd()}?x=${rnd()}`, undefined, {}, 404, 'other', 'GET');
  add(1, 'GET', '/v1/foo/bar', undefined, {}, 404, '/v1/other', 'GET');
  add(1, 'OPTIONS', '/v1/messages/batches', undefined, {}, 404, '/v1/other', 'OPTIONS');
  add(1, 'DELETE', () => `/api/anthropic/${rnd()}`, undefined, {}, 404, '/api/anthropic/other', 'DELETE');
  add(1, 'PUT', '/api/paas/v4/whatever', '{}', JSON_CT, 404, '/api/paas/v4/other', 'PUT');
  add(1, 'PATCH', '/api/coding/paas/v4/x', '{}', JSON_CT, 404, '/api/coding/paas/v4/other', 'PATCH');
  add(1, 'HEAD', () => `/nope/${rnd()}`, undefined, {}, 404, 'other', 'HEAD');
  return t;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'OTHER']);
const PATHS = new Set(['/v1/chat/completions', '/v1/models', '/v1/messages', '/v1/messages/count_tokens', '/v1/other',
  '/api/paas/v4/chat/completions', '/api/paas/v4/other', '/api/coding/paas/v4/chat/completions',
  '/api/coding/paas/v4/other', '/api/anthropic/v1/messages', '/api/anthropic/v1/messages/count_tokens',
  '/api/anthropic/other', 'other']);
const MODELS = new Set(['glm-4.5', 'glm-4.5-air', 'glm-4.5-x', 'glm-4.5-airx', 'glm-4.5-flash', 'glm-4.5v', 'glm-4.6',
  'glm-4.6v', 'glm-4.7', 'glm-4.7-flash', 'glm-4.7-flashx', 'glm-4-32b-0414-128k', 'glm-5', 'glm-5-turbo',
  'glm-5v-turbo', 'glm-5.1', 'glm-5.2', 'glm-5.3', 'glm-5.3-flash', 'other']);
const VOCAB = {
  variant: (v) => v === VARIANT,
  method: (v) => METHODS.has(v),
  path: (v) => PATHS.has(v),
  status_code: (v) => /^[1-5]\d\d$/.test(v) || v === '000',
  model: (v) => MODELS.has(v),
  direction: (v) => ['input', 'output', 'cache_read', 'cache_write', 'increase', 'decrease', 'probe'].includes(v),
  pricing_tier: (v) => v === 'peak' || v === 'off_peak',
  source: (v) => v === 'upstream' || v === 'estimate',
  client: (v) => /^source-[0-5]\d$|^source-6[0-3]$/.test(v),
  error_type: (v) => ['upstream_connection', 'upstream_timeout', 'truncated_response', 'empty_streaming', 'read_error',
    'write_error', 'internal'].includes(v) || /^[45]\d\d$/.test(v),
  reason: (v) => ['network_error', '429', '5xx', 'truncated_response', 'empty_streaming', 'queue_full', 'queue_timeout'].includes(v),
  class: (v) => ['concurrency', 'frequency', 'quota', 'model_congestion', 'terminal', 'unknown'].includes(v),
  code: (v) => /^1\d\d\d$/.test(v) || v === 'other' || v === 'none',
  stage: (v) => v === 'slot' || v === 'rate',
  le: (v) => v === '+Inf' || Number.isFinite(Number(v)),
  window: (v) => v === 'five_hour' || v === 'weekly',
  limit_type: (v) => /^[a-z0-9_-]{1,32}$/.test(v),
  result: (v) => ['success', 'error', 'malformed', 'stale'].includes(v),
};
const BUILD_INFO_LABELS = new Set(['version', 'variant', 'commit', 'build_time']);

function checkVocabulary(expo) {
  const bad = [];
  for (const s of expo.samples) {
    if (s.name.startsWith('process_')) {
      if (Object.keys(s.labels).length) bad.push(`${s.name} has labels`);
      continue;
    }
    if (!s.name.startsWith('zai_proxy_')) { bad.push(`unexpected family ${s.name}`); continue; }
    if (s.name === 'zai_proxy_build_info') {
      for (const k of Object.keys(s.labels)) if (!BUILD_INFO_LABELS.has(k)) bad.push(`build_info label ${k}`);
      continue;
    }
    if (s.labels.variant !== VARIANT) bad.push(`${s.name} variant=${s.labels.variant}`);
    for (const [k, v] of Object.entries(s.labels)) {
      if (!VOCAB[k]) bad.push(`${s.name}: unknown label ${k}`);
      else if (!VOCAB[k](v)) bad.push(`${s.name}{${k}="${v}"} outside the vocabulary`);
    }
  }
  return bad;
}

const familyOf = (name, types) => {
  for (const suf of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suf) && types.get(name.slice(0, -suf.length)) === 'histogram') return name.slice(0, -suf.length);
  }
  return name;
};

function checkHistograms(expo) {
  const bad = [];
  for (const [fam, type] of expo.types) {
    if (type !== 'histogram') continue;
    const groups = new Map();
    for (const s of expo.samples) {
      if (s.name !== `${fam}_bucket`) continue;
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push([le, s.value]);
    }
    for (const [key, buckets] of groups) {
      const labels = JSON.parse(key);
      const count = h.findSamples(expo, `${fam}_count`, labels).filter((s) => Object.keys(s.labels).length === Object.keys(labels).length);
      if (count.length !== 1) { bad.push(`${fam}${key}: ${count.length} _count series`); continue; }
      if (buckets.at(-1)[0] !== '+Inf') bad.push(`${fam}${key}: last bucket is le="${buckets.at(-1)[0]}"`);
      if (buckets.at(-1)[1] !== count[0].value) bad.push(`${fam}${key}: +Inf ${buckets.at(-1)[1]} != _count ${count[0].value}`);
      for (let i = 1; i < buckets.length; i++) {
        if (buckets[i][1] < buckets[i - 1][1]) bad.push(`${fam}${key}: bucket counts decrease at le=${buckets[i][0]}`);
        if (Number(buckets[i][0]) <= Number(buckets[i - 1][0]) && buckets[i][0] !== '+Inf') bad.push(`${fam}${key}: le not increasing`);
      }
    }
  }
  return bad;
}

const key3 = (m, p, s) => `${m} ${p} ${s}`;

test('zai_proxy_requests_total and the histograms match the traffic sent, exactly', async () => {
  const traffic = plannedTraffic();
  const expected = new Map();
  const withBody = new Map();
  for (const [method, path, body, headers, status, plabel, mlabel] of traffic) {
    const r = await h.rawExchange(proxy.port, { method, path, headers, body });
    assert.equal(r.status, status, `${method} ${path}: ${r.status} ${r.body.toString().slice(0, 200)}`);
    const k = key3(mlabel, plabel, String(status));
    expected.set(k, (expected.get(k) ?? 0) + 1);
    if (body !== undefined) withBody.set(`${mlabel} ${plabel}`, (withBody.get(`${mlabel} ${plabel}`) ?? 0) + 1);
  }
  for (const p of ['/health', '/ready', '/metrics', '/health']) assert.equal((await h.rawExchange(proxy.port, { path: p })).status, 200);

  let m;
  await h.waitUntil(async () => {
    m = await h.scrape(proxy);
    return h.sumSamples(m, 'zai_proxy_requests_total') >= traffic.length;
  }, 3000, 'all requests recorded');

  const got = new Map();
  for (const s of h.findSamples(m, 'zai_proxy_requests_total')) {
    got.set(key3(s.labels.method, s.labels.path, s.labels.status_code), s.value);
  }
  assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...expected].sort()),
    'one series per (method, path, status_code), each equal to the requests sent; local endpoints not counted');

  for (const s of h.findSamples(m, 'zai_proxy_requests_total')) {
    const l = { method: s.labels.method, path: s.labels.path, status_code: s.labels.status_code, variant: VARIANT };
    assert.equal(h.sumSamples(m, 'zai_proxy_request_duration_seconds_count', l), s.value, `duration _count ${JSON.stringify(l)}`);
    assert.equal(h.sumSamples(m, 'zai_proxy_request_duration_seconds_bucket', { ...l, le: '+Inf' }), s.value);
    assert.equal(h.sumSamples(m, 'zai_proxy_response_size_bytes_count', l), s.value, `response size _count ${JSON.stringify(l)}`);
  }
  for (const [k, n] of withBody) {
    const [method, path] = k.split(' ');
    assert.equal(h.sumSamples(m, 'zai_proxy_request_size_bytes_count', { method, path }), n, `request size _count ${k}`);
  }
  const les = h.findSamples(m, 'zai_proxy_request_duration_seconds_bucket', { method: 'POST', path: '/v1/messages', status_code: '200' })
    .map((s) => s.labels.le);
  assert.deepEqual(les, ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '120', '300', '+Inf']);
  assert.equal(h.sumSamples(m, 'zai_proxy_upstream_errors_total', { error_type: '500' }), 2);
  assert.equal(h.sumSamples(m, 'zai_proxy_retry_attempts_total'), 0, 'a 500 is not retried');
  assert.deepEqual(checkHistograms(m), []);
  assert.deepEqual(checkVocabulary(m), []);

  // One access record per proxied request, with the fields of §15.3.
  await h.waitUntil(() => proxy.records.filter((r) => r.msg === 'request').length >= traffic.length, 2000, 'access records');
  const access = proxy.records.filter((r) => r.msg === 'request');
  assert.equal(access.length, traffic.length);
  const fields = ['request_id', 'method', 'path', 'route', 'status', 'duration_ms', 'queue_ms', 'ratelimit_ms', 'upstream_ms',
    'ttfb_ms', 'attempts', 'bytes_in', 'bytes_out', 'stream', 'model', 'client', 'peer', 'tokens_in', 'tokens_out',
    'tokens_cache_read', 'tokens_cache_write', 'token_source', 'error_class', 'error_code', 'outcome'];
  for (const r of access) {
    const missing = fields.filter((f) => !(f in r));
    assert.deepEqual(missing, [], `access record lacks ${missing}: ${JSON.stringify(r)}`);
    assert.ok(!String(r.path).includes('?'), 'access log path has no query string');
    assert.equal(r.client, 'source-30');
    assert.equal(r.peer, '127.0.0.1');
  }
});

test('start-up gauges and build info', async () => {
  const m = await h.scrape(proxy);
  assert.equal(m.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(h.sumSamples(m, 'zai_proxy_max_workers', { variant: VARIANT }), 7);
  assert.equal(h.sumSamples(m, 'zai_proxy_concurrency_limit', { variant: VARIANT }), 7);
  assert.equal(h.sumSamples(m, 'zai_proxy_concurrent_requests', { variant: VARIANT }), 0);
  assert.equal(h.sumSamples(m, 'zai_proxy_worker_utilization_ratio', { variant: VARIANT }), 0);
  for (const stage of ['slot', 'rate']) {
    assert.equal(h.findSamples(m, 'zai_proxy_queue_depth', { stage, variant: VARIANT }).length, 1, `queue_depth{stage="${stage}"}`);
  }
  const bi = h.findSamples(m, 'zai_proxy_build_info');
  assert.equal(bi.length, 1);
  assert.equal(bi[0].value, 1);
  assert.equal(bi[0].labels.version, h.VERSION);
  assert.equal(bi[0].labels.variant, VARIANT);
  assert.ok(bi[0].labels.commit && bi[0].labels.build_time);
  if (m.types.has('zai_proxy_rate_limit_requests_per_second')) {
    assert.equal(h.sumSamples(m, 'zai_proxy_rate_limit_requests_per_second', { variant: VARIANT }), 500);
  }
  for (const p of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_virtual_memory_bytes',
    'process_open_fds', 'process_max_fds', 'process_start_time_seconds']) {
    assert.equal(h.findSamples(m, p).length, 1, p);
  }
  const rss = h.sumSamples(m, 'process_resident_memory_bytes');
  assert.ok(Math.abs(rss - proxy.rssBytes()) < 64 * 1024 * 1024, 'process_resident_memory_bytes is the real RSS');
  for (const [fam, type] of m.types) {
    assert.ok(m.help.has(fam), `HELP for ${fam}`);
    if (type === 'counter') assert.match(fam, /_total$/, `counter ${fam} ends in _total`);
  }
  for (const s of m.samples) assert.ok(m.types.has(familyOf(s.name, m.types)), `TYPE for ${s.name}`);
});

test('random paths, methods and model names keep labels within the vocabularies; promtool passes', async () => {
  const junkMethods = ['BREW', 'PROPFIND', 'M-SEARCH', 'get', 'CONNECT'];
  for (const method of junkMethods) {
    const path = method === 'CONNECT' ? '127.0.0.1:1' : `/v1/${rnd()}`;
    try {
      await h.rawExchange(proxy.port, { method, path }, 1000);
    } catch { /* the HTTP layer may drop such requests; only the labels matter */ }
  }
  for (let i = 0; i < 6; i++) {
    const bytes = crypto.randomBytes(6).toString('hex');
    await h.rawExchange(proxy.port, { method: 'GET', path: `/${bytes}/%2e%2e/${'x'.repeat(i * 50)}` });
  }
  for (const model of [`Random-Model-${rnd()}`, `glm-${rnd()}`, 'GLM-4.7', '', 'x'.repeat(300)]) {
    const r = await h.rawExchange(proxy.port, {
      method: 'POST', path: '/v1/chat/completions', headers: JSON_CT, body: h.chatBody({ model }),
    });
    assert.ok(r.status < 500, `model ${model}: ${r.status}`);
  }
  const m = await h.scrape(proxy);
  assert.deepEqual(checkVocabulary(m), []);
  assert.deepEqual(checkHistograms(m), []);
  const pt = h.promtoolCheck(m.text);
  if (pt.skipped) {
    process.stderr.write('promtool not installed: the promtool assertion was skipped\n');
  } else {
    assert.equal(pt.code, 0, `promtool check metrics:\n${pt.output}`);
  }
});

test('logs: no keys, prompts or provider text', async () => {
  await h.stopAndCheckProxies();
});
