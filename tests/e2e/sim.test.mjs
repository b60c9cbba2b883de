// zai-sim on its own (ZAI-API.md §10): the shapes of §3/§4 parsed by the
// official SDKs, determinism (same request → same bytes), auth, scenarios,
// scripts, config and /sim/stats. The proxy suites build on these facts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import * as h from './lib/harness.mjs';

let sim;
before(async () => { sim = await h.startSim(); });
after(h.stopAll);

const openai = (prefix = '/api/paas/v4', apiKey = h.UPSTREAM_KEY) =>
  new OpenAI({ apiKey, baseURL: `${sim.url}${prefix}`, maxRetries: 0, timeout: 10000 });
const anthropic = (apiKey = h.UPSTREAM_KEY) =>
  new Anthropic({ apiKey, baseURL: `${sim.url}/api/anthropic`, maxRetries: 0, timeout: 10000 });
const MSGS = [{ role: 'user', content: `Say hello. ${h.PROMPT_CANARY}` }];

const simPost = (path, body, headers = {}) => h.fetchBytes(`${sim.url}${path}`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(path.startsWith('/api/anthropic') ? h.simAnthropicAuth() : h.simOpenAIAuth()), ...headers },
  body,
});
const OAI = '/api/paas/v4/chat/completions';
const ANT = '/api/anthropic/v1/messages';

test('OpenAI SDK: non-streaming completion has the Z.AI shape', async () => {
  const r = await openai().chat.completions.create({ model: 'glm-4.7', messages: MSGS });
  assert.equal(r.model, 'glm-4.7');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(r.choices[0].message.content.length > 0);
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.ok(r.usage.prompt_tokens > 0);
  assert.ok(r.usage.completion_tokens > 0);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test('OpenAI SDK: streaming carries usage on the finish chunk', async () => {
  const stream = await openai().chat.completions.create({ model: 'glm-4.7', messages: MSGS, stream: true });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.ok(chunks.length >= 2, `only ${chunks.length} chunks`);
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.ok(text.length > 0);
  const last = chunks.at(-1);
  assert.equal(last.choices[0].finish_reason, 'stop');
  assert.ok(last.usage && last.usage.completion_tokens > 0, 'usage on the finish chunk (SIM_OPENAI_USAGE=finish)');
  for (const c of chunks) assert.equal(c.object, undefined, 'Z.AI chunks carry no object field');
});

test('OpenAI SDK: coding path and thinking produce reasoning_content', async () => {
  const r = await openai('/api/coding/paas/v4').chat.completions.create({
    model: 'glm-4.7', messages: MSGS, thinking: { type: 'enabled' },
  });
  assert.ok(r.choices[0].message.content.length > 0);
  assert.ok(typeof r.choices[0].message.reasoning_content === 'string' && r.choices[0].message.reasoning_content.length > 0);
});

test('Anthropic SDK: non-streaming message has the Anthropic shape', async () => {
  const m = await anthropic().messages.create({ model: 'glm-4.7', max_tokens: 1024, messages: MSGS });
  assert.equal(m.type, 'message');
  assert.equal(m.role, 'assistant');
  assert.equal(m.model, 'glm-4.7');
  assert.equal(m.stop_reason, 'end_turn');
  const text = m.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
  assert.ok(text.length > 0);
  assert.ok(m.usage.input_tokens > 0);
  assert.ok(m.usage.output_tokens > 0);
});

test('Anthropic SDK: streaming event sequence and accumulated message', async () => {
  const events = [];
  const stream = await anthropic().messages.create({ model: 'glm-4.7', max_tokens: 1024, messages: MSGS, stream: true });
  for await (const e of stream) events.push(e);
  assert.equal(events[0].type, 'message_start');
  assert.equal(events.at(-1).type, 'message_stop');
  const delta = events.filter((e) => e.type === 'message_delta');
  assert.equal(delta.length, 1);
  assert.ok(delta[0].usage.output_tokens > 0);
  const text = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'text_delta')
    .map((e) => e.delta.text).join('');
  assert.ok(text.length > 0);

  const helper = anthropic().messages.stream({ model: 'glm-4.7', max_tokens: 1024, messages: MSGS });
  const final = await helper.finalMessage();
  assert.equal(final.content.filter((b) => b.type === 'text').map((b) => b.text).join(''), text);
});

test('§10.4: the generated text depends only on seed, model and messages (not on the stream flag)', async () => {
  const full = await openai().chat.completions.create({ model: 'glm-4.7', messages: MSGS });
  const stream = await openai().chat.completions.create({ model: 'glm-4.7', messages: MSGS, stream: true });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  assert.equal(text, full.choices[0].message.content, 'OpenAI: streaming and non-streaming text differ');
  const m = await anthropic().messages.create({ model: 'glm-4.7', max_tokens: 1024, messages: MSGS });
  const fm = await anthropic().messages.stream({ model: 'glm-4.7', max_tokens: 1024, messages: MSGS }).finalMessage();
  const t = (x) => x.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
  assert.equal(t(fm), t(m), 'Anthropic: streaming and non-streaming text differ');
});

test('determinism: the same request gives the same bytes (both formats, streaming and not)', async () => {
  for (const [path, body] of [
    [OAI, h.chatBody()], [OAI, h.chatBody({ stream: true })],
    [ANT, h.messagesBody()], [ANT, h.messagesBody({ stream: true })],
  ]) {
    const a = await simPost(path, body);
    const b = await simPost(path, body);
    assert.equal(a.status, 200, `${path}: ${a.text}`);
    assert.ok(a.body.length > 0);
    assert.ok(a.body.equals(b.body), `${path} ${body}: bodies differ`);
  }
  const other = await simPost(OAI, h.chatBody({ prompt: 'A different prompt entirely.' }));
  const first = await simPost(OAI, h.chatBody());
  assert.ok(!other.body.equals(first.body), 'a different prompt must change the output');
});

test('streams: OpenAI ends with [DONE], Anthropic with message_stop; SSE content type', async () => {
  const o = await simPost(OAI, h.chatBody({ stream: true }));
  assert.match(o.headers.get('content-type'), /^text\/event-stream/);
  assert.ok(o.text.endsWith('data: [DONE]\n\n'), JSON.stringify(o.text.slice(-40)));
  const a = await simPost(ANT, h.messagesBody({ stream: true }));
  assert.match(a.headers.get('content-type'), /^text\/event-stream/);
  const ev = h.sseEvents(a.text);
  assert.deepEqual(ev.at(-1)[0], 'event: message_stop');
  assert.deepEqual(ev[0][0], 'event: message_start');
});

test('auth: wrong key → 401 with code 1002 in each format; SDKs raise AuthenticationError', async () => {
  const before1 = await sim.ctl.stats();
  const o = await h.fetchBytes(`${sim.url}${OAI}`, {
    method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body: h.chatBody(),
  });
  assert.equal(o.status, 401);
  assert.equal(JSON.parse(o.text).error.code, '1002');
  assert.ok(o.text.includes(h.PROVIDER_MARKER));
  const a = await h.fetchBytes(`${sim.url}${ANT}`, {
    method: 'POST', headers: { 'x-api-key': 'nope', 'content-type': 'application/json' }, body: h.messagesBody(),
  });
  assert.equal(a.status, 401);
  const aj = JSON.parse(a.text);
  assert.equal(aj.type, 'error');
  assert.equal(aj.error.type, '1002');
  await assert.rejects(openai('/api/paas/v4', 'nope').chat.completions.create({ model: 'glm-4.7', messages: MSGS }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  await assert.rejects(anthropic('nope').messages.create({ model: 'glm-4.7', max_tokens: 10, messages: MSGS }),
    (e) => e instanceof Anthropic.AuthenticationError && e.status === 401);
  // Anthropic paths accept the Bearer form too.
  const bearer = await h.fetchBytes(`${sim.url}${ANT}`, {
    method: 'POST', headers: { authorization: `Bearer ${h.UPSTREAM_KEY}`, 'content-type': 'application/json' }, body: h.messagesBody(),
  });
  assert.equal(bearer.status, 200);
  const after1 = await sim.ctl.stats();
  assert.equal(h.statNum(after1.auth.mismatched) - h.statNum(before1.auth.mismatched), 4);
});

test('scenarios: business errors in the endpoint shapes, each with the provider marker', async () => {
  const cases = [
    [OAI, 'err-1302', 429, (j) => j.error.code === '1302'],
    [OAI, 'err-1303', 429, (j) => j.error.code === '1303'],
    [OAI, 'err-1113', 429, (j) => j.error.code === '1113'],
    [OAI, 'err-1312', 429, (j) => j.error.code === '1312'],
    [ANT, 'err-1308', 429, (j) => j.type === 'error' && j.error.type === '1308' && /reset at/.test(j.error.message)],
    [ANT, 'err-1310', 429, (j) => j.type === 'error' && j.error.type === '1310'],
    [OAI, 'err-1305-503', 503, () => true],
    [OAI, 'err-500', 500, () => true],
    [OAI, 'err-503', 503, () => true],
    [OAI, 'err-502', 502, null],
    [OAI, 'err-529', 529, null],
  ];
  for (const [path, scen, status, check] of cases) {
    const body = path === ANT ? h.messagesBody() : h.chatBody();
    const r = await simPost(path, body, { 'x-sim-scenario': scen });
    assert.equal(r.status, status, `${scen}: ${r.status} ${r.text.slice(0, 200)}`);
    if (check) {
      assert.ok(check(JSON.parse(r.text)), `${scen}: ${r.text.slice(0, 300)}`);
      assert.ok(r.text.includes(h.PROVIDER_MARKER), `${scen}: no provider marker`);
    }
  }
  const bare = await simPost(OAI, h.chatBody(), { 'x-sim-scenario': 'bare-429' });
  assert.equal(bare.status, 429);
  assert.equal(bare.body.length, 0);
  const big = await simPost(OAI, h.chatBody(), { 'x-sim-scenario': 'big-error-body' });
  assert.ok(big.status >= 400);
  assert.ok(big.body.length >= 40 * 1024, `big-error-body is ${big.body.length} bytes`);
});

test('scenarios: malformed 200s and stream variants', async () => {
  const empty = await simPost(OAI, h.chatBody(), { 'x-sim-scenario': 'empty-200' });
  assert.equal(empty.status, 200);
  assert.equal(empty.body.length, 0);
  for (const scen of ['invalid-json-200', 'truncated-json-200']) {
    const r = await simPost(OAI, h.chatBody(), { 'x-sim-scenario': scen });
    assert.equal(r.status, 200);
    assert.ok(r.body.length > 0, scen);
    assert.throws(() => JSON.parse(r.text), undefined, `${scen} parsed as JSON: ${r.text}`);
  }
  const es = await simPost(OAI, h.chatBody({ stream: true }), { 'x-sim-scenario': 'empty-stream' });
  assert.equal(es.status, 200);
  assert.match(es.headers.get('content-type'), /^text\/event-stream/);
  assert.equal(es.body.length, 0);
  const first = await simPost(ANT, h.messagesBody({ stream: true }), { 'x-sim-scenario': 'stream-error-first-event' });
  assert.equal(first.status, 200);
  const ev = h.sseEvents(first.text);
  assert.ok(ev[0].includes('event: error') || /"error"/.test(ev[0].join('\n')), first.text.slice(0, 300));
  const nu = await simPost(OAI, h.chatBody(), { 'x-sim-scenario': 'no-usage' });
  assert.equal(nu.status, 200);
  assert.equal(JSON.parse(nu.text).usage, undefined);
  const nu2 = await simPost(OAI, h.chatBody(), { 'x-sim-usage': 'never' });
  assert.equal(JSON.parse(nu2.text).usage, undefined);
});

test('scenario reset-mid-stream: the connection ends before the stream is complete', async () => {
  const res = await h.rawRequest(sim.port, {
    method: 'POST', path: OAI,
    headers: { ...h.simOpenAIAuth(), 'content-type': 'application/json', 'x-sim-scenario': 'reset-mid-stream' },
    body: h.chatBody({ stream: true }),
  });
  await res.waitFor((r) => r.closed, 5000, 'connection close');
  assert.equal(res.complete && res.framing !== 'close', false, 'a reset stream must not end cleanly');
  assert.ok(!res.body.toString().includes('[DONE]'));
});

test('per-request knobs: X-Sim-Output-Tokens, X-Sim-TTFB', async () => {
  const short = JSON.parse((await simPost(OAI, h.chatBody(), { 'x-sim-output-tokens': '4' })).text);
  const long = JSON.parse((await simPost(OAI, h.chatBody(), { 'x-sim-output-tokens': '120' })).text);
  assert.ok(long.usage.completion_tokens > short.usage.completion_tokens * 5,
    `${short.usage.completion_tokens} vs ${long.usage.completion_tokens}`);
  const chunks = h.sseEvents((await simPost(OAI, h.chatBody({ stream: true }), { 'x-sim-output-tokens': '10' })).text);
  assert.ok(chunks.length >= 10 && chunks.length <= 14, `${chunks.length} events for 10 tokens`);
  const t0 = Date.now();
  const slow = await simPost(OAI, h.chatBody(), { 'x-sim-ttfb': '400ms' });
  assert.equal(slow.status, 200);
  assert.ok(Date.now() - t0 >= 350, 'X-Sim-TTFB delays the response');
});

test('stall-mid-stream sends 3 chunks then nothing; a disconnect counts as cancelled', async () => {
  const before1 = await sim.ctl.stats();
  const res = await h.rawRequest(sim.port, {
    method: 'POST', path: OAI,
    headers: { ...h.simOpenAIAuth(), 'content-type': 'application/json', 'x-sim-scenario': 'stall-mid-stream' },
    body: h.chatBody({ stream: true }),
  });
  await res.waitFor((r) => h.sseEvents(r.body.toString()).length >= 3, 5000, '3 events');
  const n = res.bodyLength;
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(res.bodyLength, n, 'no bytes after the stall point');
  assert.ok(!res.complete);
  res.destroy();
  await h.waitUntil(async () => h.statNum((await sim.ctl.stats()).cancelled) > h.statNum(before1.cancelled),
    3000, 'cancelled to increment');
});

test('scripts: responses served verbatim in order, then generated again', async () => {
  const odd = '{"id": "msg123", "content": "hello"}';
  await sim.ctl.script({
    match: { path_prefix: '/api/paas/v4' },
    responses: [
      { status: 200, headers: { 'content-type': 'application/json', 'x-upstream-error': 'preserved' }, body: odd },
      { status: 200, headers: { 'content-type': 'text/event-stream' }, stream: { events: ['data: {"a":1}\n\n', 'data: [DONE]\n\n'], interval_ms: 5 } },
      { error: 'reset' },
    ],
  });
  const a = await simPost(OAI, h.chatBody());
  assert.equal(a.text, odd);
  assert.equal(a.headers.get('x-upstream-error'), 'preserved');
  const b = await simPost(OAI, h.chatBody({ stream: true }));
  assert.equal(b.text, 'data: {"a":1}\n\ndata: [DONE]\n\n');
  const c = await h.rawRequest(sim.port, {
    method: 'POST', path: OAI, headers: { ...h.simOpenAIAuth(), 'content-type': 'application/json' }, body: h.chatBody(),
  });
  await c.waitFor((r) => r.closed, 5000, 'reset');
  assert.equal(c.status, 0, 'error:reset answers nothing');
  const d = await simPost(OAI, h.chatBody());
  assert.equal(d.status, 200);
  assert.ok(JSON.parse(d.text).choices, 'generated again after the script');
  // A script whose match does not apply is not consumed.
  await sim.ctl.script({ match: { path_prefix: '/api/anthropic' }, responses: [{ status: 418, body: 'teapot' }] });
  assert.equal((await simPost(OAI, h.chatBody())).status, 200);
  assert.equal((await simPost(ANT, h.messagesBody())).status, 418);
});

test('stats: per-path counts, last_request with query and masked credentials; reset clears', async () => {
  await sim.ctl.reset();
  await simPost(`${ANT}?beta=true`, h.messagesBody(), { 'x-e2e-marker': 'm1' });
  const s = await sim.ctl.stats();
  assert.equal(h.statNum(s.requests[ANT]), 1, JSON.stringify(s.requests));
  assert.equal(s.last_request.path, ANT);
  assert.match(s.last_request.query, /^\??beta=true$/);
  const hdr = Object.fromEntries(Object.entries(s.last_request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  assert.equal(hdr['x-api-key'], '<matched>');
  assert.equal(hdr['x-e2e-marker'], 'm1');
  assert.ok(!JSON.stringify(s).includes(h.UPSTREAM_KEY), 'stats never show the key');
  assert.equal(h.statNum(s.auth.matched), 1);
  for (const k of ['served', 'cancelled', 'in_flight']) assert.ok(k in s, `stats lack ${k}`);
  await sim.ctl.reset();
  const z = await sim.ctl.stats();
  assert.equal(h.statNum(z.requests), 0);
});

test('config: PUT /sim/config applies at once; per-model concurrency limit answers 1302', async () => {
  await sim.ctl.config({ output_tokens: 3 });
  const r = JSON.parse((await simPost(OAI, h.chatBody({ stream: false }))).text);
  assert.ok(r.usage.completion_tokens <= 6, `output_tokens 3 gave ${r.usage.completion_tokens}`);
  await sim.ctl.config({ concurrency_per_model: 1 });
  const slow = simPost(OAI, h.chatBody(), { 'x-sim-ttfb': '500ms' });
  await h.waitUntil(async () => h.statNum((await sim.ctl.stats()).in_flight) >= 1, 3000, 'first request in flight');
  const second = await simPost(OAI, h.chatBody());
  assert.equal(second.status, 429);
  assert.equal(JSON.parse(second.text).error.code, '1302');
  assert.equal((await slow).status, 200);
  const s = await sim.ctl.stats();
  assert.ok(h.statNum(s.errors['1302']) >= 1);
  await sim.ctl.reset();
});

test('other endpoints: models, count_tokens off, quota, unknown path', async () => {
  const m = await h.fetchBytes(`${sim.url}/api/paas/v4/models`, { headers: h.simOpenAIAuth() });
  assert.equal(m.status, 200);
  const mj = JSON.parse(m.text);
  assert.equal(mj.object, 'list');
  assert.ok(mj.data.some((x) => x.id === 'glm-4.7'));
  const ct = await simPost('/api/anthropic/v1/messages/count_tokens', h.messagesBody());
  assert.equal(ct.status, 404);
  assert.equal(JSON.parse(ct.text).type, 'error');
  const q = await h.fetchBytes(`${sim.url}/api/monitor/usage/quota/limit`, { headers: { authorization: h.UPSTREAM_KEY } });
  assert.equal(q.status, 200);
  assert.equal(JSON.parse(q.text).success, true);
  const qb = await h.fetchBytes(`${sim.url}/api/monitor/usage/quota/limit`, { headers: { authorization: 'wrong' } });
  assert.equal(qb.status, 200);
  const qbj = JSON.parse(qb.text);
  assert.equal(qbj.code, 401);
  assert.equal(qbj.success, false);
  const u = await h.fetchBytes(`${sim.url}/no/such/path`, { headers: h.simOpenAIAuth() });
  assert.equal(u.status, 404);
});

test('zai-sim exits on SIGTERM', async () => {
  const ex = await sim.stop();
  assert.equal(ex.signal, null, `killed by ${ex.signal}`);
  assert.equal(ex.code, 0);
  assert.deepEqual(h.logFindings([h.UPSTREAM_KEY]), []);
});
