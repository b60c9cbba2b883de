// The official SDKs through zai-proxy (STACK.md §10 "Real clients"):
// streaming and non-streaming in both formats on the /v1 routes and the
// native Z.AI paths, each answer equal to what the simulator gives directly;
// proxy-generated errors (404, inbound-auth 401) and relayed upstream errors
// surface as the SDKs' typed errors with the proxy's JSON.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import * as h from './lib/harness.mjs';

let sim, proxy, authProxy;
before(async () => {
  sim = await h.startSim();
  [proxy, authProxy] = await Promise.all([
    h.startProxy(sim),
    h.startProxy(sim, { PROXY_API_KEYS: `other-key,${h.CLIENT_KEY}` }),
  ]);
});

const MSGS = [{ role: 'user', content: `Say hello. ${h.PROMPT_CANARY}` }];
const oai = (baseURL, apiKey = 'anything') => new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 15000 });
const ant = (baseURL, apiKey = 'anything') => new Anthropic({ apiKey, baseURL, maxRetries: 0, timeout: 15000 });

const oaiText = (r) => r.choices[0].message.content;
const antText = (m) => m.content.filter((b) => b.type === 'text').map((b) => b.text).join('');

async function oaiStream(client, extra = {}) {
  const s = await client.chat.completions.create({ model: 'glm-4.7', messages: MSGS, stream: true, ...extra });
  const chunks = [];
  for await (const c of s) chunks.push(c);
  return { chunks, text: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('') };
}

async function antStream(client) {
  const s = await client.messages.create({ model: 'glm-4.7', max_tokens: 1024, messages: MSGS, stream: true });
  const events = [];
  for await (const e of s) events.push(e);
  const text = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'text_delta')
    .map((e) => e.delta.text).join('');
  return { events, text };
}

// The simulator's own answer, asked directly on the upstream path, is the
// reference for every proxied answer (the simulator is deterministic per
// request: same method, path and body give the same bytes).
const refs = new Map();
async function direct(kind, upstreamPrefix, stream) {
  const k = `${kind} ${upstreamPrefix} ${stream}`;
  if (!refs.has(k)) {
    let text;
    if (kind === 'openai') {
      const c = oai(`${sim.url}${upstreamPrefix}`, h.UPSTREAM_KEY);
      text = stream ? (await oaiStream(c)).text : oaiText(await c.chat.completions.create({ model: 'glm-4.7', messages: MSGS }));
    } else {
      const c = ant(`${sim.url}${upstreamPrefix}`, h.UPSTREAM_KEY);
      text = stream ? (await antStream(c)).text : antText(await c.messages.create({ model: 'glm-4.7', max_tokens: 1024, messages: MSGS }));
    }
    assert.ok(text.length > 0);
    refs.set(k, text);
  }
  return refs.get(k);
}

// [label, proxy base path, upstream base path]
for (const [label, prefix, up] of [['/v1', '/v1', '/api/paas/v4'], ['native /api/paas/v4', '/api/paas/v4', '/api/paas/v4'],
  ['native /api/coding/paas/v4', '/api/coding/paas/v4', '/api/coding/paas/v4']]) {
  test(`OpenAI SDK ${label}: non-streaming`, async () => {
    const r = await oai(`${proxy.url}${prefix}`).chat.completions.create({ model: 'glm-4.7', messages: MSGS });
    assert.equal(oaiText(r), await direct('openai', up, false));
    assert.ok(r.usage.completion_tokens > 0);
  });

  test(`OpenAI SDK ${label}: streaming`, async () => {
    const { chunks, text } = await oaiStream(oai(`${proxy.url}${prefix}`));
    assert.equal(text, await direct('openai', up, true));
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
    assert.ok(chunks.at(-1).usage.completion_tokens > 0);
  });
}

for (const [label, prefix] of [['/v1/messages', ''], ['native /api/anthropic/v1/messages', '/api/anthropic']]) {
  test(`Anthropic SDK ${label}: non-streaming`, async () => {
    const m = await ant(`${proxy.url}${prefix}`).messages.create({ model: 'glm-4.7', max_tokens: 1024, messages: MSGS });
    assert.equal(antText(m), await direct('anthropic', '/api/anthropic', false));
    assert.equal(m.stop_reason, 'end_turn');
  });

  test(`Anthropic SDK ${label}: streaming (raw events and the stream helper)`, async () => {
    const { events, text } = await antStream(ant(`${proxy.url}${prefix}`));
    assert.equal(text, await direct('anthropic', '/api/anthropic', true));
    assert.equal(events[0].type, 'message_start');
    assert.equal(events.at(-1).type, 'message_stop');
    const final = await ant(`${proxy.url}${prefix}`).messages
      .stream({ model: 'glm-4.7', max_tokens: 1024, messages: MSGS }).finalMessage();
    assert.equal(antText(final), text);
    assert.ok(final.usage.output_tokens > 0);
  });
}

test('OpenAI SDK: GET /v1/models through the proxy', async () => {
  const list = await oai(`${proxy.url}/v1`).models.list();
  assert.ok(list.data.some((m) => m.id === 'glm-4.7'));
});

test('OpenAI SDK: unknown path → NotFoundError with the proxy\'s OpenAI-format error', async () => {
  await assert.rejects(
    oai(`${proxy.url}/nope`).chat.completions.create({ model: 'glm-4.7', messages: MSGS }),
    (e) => {
      assert.ok(e instanceof OpenAI.NotFoundError, `${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 404);
      assert.equal(e.code, 'not_found');
      assert.equal(e.type, 'invalid_request_error');
      assert.match(e.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
      return true;
    });
});

test('inbound auth: OpenAI SDK with a wrong key → AuthenticationError (invalid_api_key)', async () => {
  for (const prefix of ['/v1', '/api/paas/v4']) {
    await assert.rejects(
      oai(`${authProxy.url}${prefix}`, 'wrong-key').chat.completions.create({ model: 'glm-4.7', messages: MSGS }),
      (e) => {
        assert.ok(e instanceof OpenAI.AuthenticationError, `${prefix}: ${e.constructor.name}: ${e.message}`);
        assert.equal(e.status, 401);
        assert.equal(e.code, 'invalid_api_key');
        assert.equal(e.headers.get('www-authenticate'), 'Bearer');
        assert.ok(!e.message.includes('wrong-key'), 'the message never echoes the key');
        return true;
      });
  }
});

test('inbound auth: Anthropic SDK with a wrong key → AuthenticationError (authentication_error)', async () => {
  for (const prefix of ['', '/api/anthropic']) {
    await assert.rejects(
      ant(`${authProxy.url}${prefix}`, 'wrong-key').messages.create({ model: 'glm-4.7', max_tokens: 10, messages: MSGS }),
      (e) => {
        assert.ok(e instanceof Anthropic.AuthenticationError, `${prefix}: ${e.constructor.name}: ${e.message}`);
        assert.equal(e.status, 401);
        assert.equal(e.error?.type, 'error');
        assert.equal(e.error?.error?.type, 'authentication_error');
        return true;
      });
  }
});

test('inbound auth: the right key works in both SDKs (Bearer and x-api-key); upstream sees only the proxy key', async () => {
  const r = await oai(`${authProxy.url}/v1`, h.CLIENT_KEY).chat.completions.create({ model: 'glm-4.7', messages: MSGS });
  assert.equal(oaiText(r), await direct('openai', '/api/paas/v4', false));
  let s = await sim.ctl.stats();
  let hdr = Object.fromEntries(Object.entries(s.last_request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  assert.equal(hdr.authorization, '<matched>');
  const m = await ant(`${authProxy.url}`, h.CLIENT_KEY).messages.create({ model: 'glm-4.7', max_tokens: 1024, messages: MSGS });
  assert.equal(antText(m), await direct('anthropic', '/api/anthropic', false));
  s = await sim.ctl.stats();
  hdr = Object.fromEntries(Object.entries(s.last_request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  assert.equal(hdr['x-api-key'], '<matched>');
  assert.equal(hdr.authorization, undefined, 'the client credential is stripped');
});

test('relayed upstream errors: SDKs see the upstream status and body', async () => {
  await assert.rejects(
    ant(proxy.url).messages.create({ model: 'glm-4.7', max_tokens: 10, messages: MSGS },
      { headers: { 'X-Sim-Scenario': 'err-1308' } }),
    (e) => {
      assert.ok(e instanceof Anthropic.RateLimitError, `${e.constructor.name}: ${e.message}`);
      assert.equal(e.error?.error?.type, '1308');
      assert.ok(e.error?.error?.message.includes(h.PROVIDER_MARKER), 'the upstream body is relayed');
      return true;
    });
  await assert.rejects(
    oai(`${proxy.url}/v1`).chat.completions.create({ model: 'glm-4.7', messages: MSGS },
      { headers: { 'X-Sim-Scenario': 'err-1113' } }),
    (e) => {
      assert.ok(e instanceof OpenAI.RateLimitError, `${e.constructor.name}: ${e.message}`);
      assert.equal(e.code, '1113');
      return true;
    });
});

test('access log: the model label is the MODELS entry the request named, otherwise "other"', async () => {
  await oai(`${proxy.url}/v1`).chat.completions.create({ model: 'GLM-4.7', messages: MSGS });
  await oai(`${proxy.url}/v1`).chat.completions.create({ model: 'no-such-model-x', messages: MSGS });
  const models = () => proxy.records.filter((r) => r.msg === 'request' && r.path === '/v1/chat/completions')
    .map((r) => r.model);
  await h.waitUntil(() => models().length >= 2, 2000, 'access records');
  const seen = models();
  assert.ok(seen.includes('glm-4.7'), JSON.stringify(seen));
  assert.equal(seen.at(-1), 'other');
  assert.ok(seen.every((m) => m === 'glm-4.7' || m === 'other'), JSON.stringify(seen));
});

test('logs: no keys, prompts or provider text; one access record per proxied request', async () => {
  const proxies = await h.stopAndCheckProxies();
  for (const p of proxies) assert.ok(p.records.some((r) => r.msg === 'request'), 'access records present');
});
