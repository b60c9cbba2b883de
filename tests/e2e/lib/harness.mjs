// harness: runs zai-sim and zai-proxy as child processes for the end-to-end
// suites and gives the tests small, dependency-free tools to talk to them:
// sim control (/sim/*), a Prometheus exposition parser, a raw HTTP/1.1 client
// on node:net (for slow readers, byte-exact reads and disconnects) and a
// promtool runner. Every process a test file starts is tracked here and
// killed when the file ends, even when a test fails or the runner aborts.
import { spawn, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../../..');
export const BIN_DIR = process.env.ZAI_BIN_DIR || path.join(REPO, 'build', 'bin');
export const SIM_BIN = path.join(BIN_DIR, 'zai-sim');
export const PROXY_BIN = path.join(BIN_DIR, 'zai-proxy');
export const VERSION = fs.readFileSync(path.join(REPO, 'VERSION'), 'utf8').trim();

// Distinctive secrets and canaries so a grep over the captured logs proves
// that none of them was ever written (PROXY.md §15.3, §19 item 27).
export const UPSTREAM_KEY = 'e2e-upstream-key-5b1d9f';
export const CLIENT_KEY = 'e2e-client-key-0c7e21';
export const PROMPT_CANARY = 'e2e-prompt-canary-4471';
export const PROVIDER_MARKER = 'zai-sim-provider-text';

const START_TIMEOUT_MS = 15000;
const STOP_GRACE_MS = 5000;

// Only these variables of the caller's environment reach the children, so a
// developer's own ZAI_* / SIM_* settings can never change a test's meaning.
const PASS_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'LD_LIBRARY_PATH',
  'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'TSAN_OPTIONS'];

function childEnv(extra) {
  const env = {};
  for (const k of PASS_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null) env[k] = String(v);
  return env;
}

const live = new Set();
const finished = [];

function killAllSync() {
  for (const p of live) {
    try { p.child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { killAllSync(); process.exit(128 + (sig === 'SIGINT' ? 2 : 15)); });
}

// One child process with its stderr split into lines (JSON records parsed
// when possible) and its stdout kept whole.
export class Proc {
  constructor(name, bin, args, env) {
    this.name = name;
    this.lines = [];
    this.records = [];
    this.stdout = '';
    this.waiters = [];
    this.exit = null;
    this.child = spawn(bin, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.child.pid;
    live.add(this);
    let partial = '';
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (s) => {
      partial += s;
      let i;
      while ((i = partial.indexOf('\n')) >= 0) {
        this.addLine(partial.slice(0, i));
        partial = partial.slice(i + 1);
      }
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (s) => { this.stdout += s; });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.addLine(`spawn error: ${err.message}`);
      });
      this.child.on('close', (code, signal) => {
        if (partial) this.addLine(partial);
        partial = '';
        this.exit = { code, signal };
        live.delete(this);
        finished.push(this);
        for (const w of this.waiters.splice(0)) w.check();
        resolve(this.exit);
      });
    });
  }

  addLine(line) {
    this.lines.push(line);
    let rec = null;
    if (line.startsWith('{')) {
      try { rec = JSON.parse(line); } catch { rec = null; }
    }
    if (rec) this.records.push(rec);
    for (const w of this.waiters.slice()) w.check();
  }

  get stderr() { return this.lines.join('\n'); }

  tail(n = 30) { return this.lines.slice(-n).join('\n'); }

  // Resolves with the first JSON record matching pred (already seen or
  // future); rejects after timeoutMs or when the process exits first.
  waitForRecord(pred, timeoutMs, what = 'log record') {
    return new Promise((resolve, reject) => {
      const w = {
        check: () => {
          const rec = this.records.find(pred);
          if (rec) { done(); resolve(rec); return; }
          if (this.exit) {
            done();
            reject(new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before ${what}:\n${this.tail()}`));
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      this.waiters.push(w);
      w.check();
    });
  }

  async waitListening(timeoutMs = START_TIMEOUT_MS) {
    const rec = await this.waitForRecord((r) => r.msg === 'listening', timeoutMs, '"listening" record');
    const port = Number(rec.port ?? String(rec.addr).split(':').pop());
    if (!Number.isInteger(port) || port <= 0) throw new Error(`${this.name}: bad listening record ${JSON.stringify(rec)}`);
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    return port;
  }

  // Bounded wait for the process to exit on its own.
  async waitExit(timeoutMs) {
    const t = sleep(timeoutMs).then(() => null);
    return Promise.race([this.exited, t]);
  }

  // SIGTERM, then SIGKILL after graceMs. Always resolves with the exit status.
  async stop(graceMs = STOP_GRACE_MS) {
    if (this.exit) return this.exit;
    try { this.child.kill('SIGTERM'); } catch { /* gone */ }
    const ex = await this.waitExit(graceMs);
    if (ex) return ex;
    try { this.child.kill('SIGKILL'); } catch { /* gone */ }
    return this.exited;
  }

  rssBytes() {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  }
}

export async function stopAll() {
  await Promise.all([...live].map((p) => p.stop()));
}

export function allProcs() { return [...finished, ...live]; }

function checkBinary(bin) {
  if (!fs.existsSync(bin)) throw new Error(`${bin} not found (build it, or set ZAI_BIN_DIR)`);
}

// ---------------------------------------------------------------- zai-sim

export async function startSim(env = {}) {
  checkBinary(SIM_BIN);
  const p = new Proc('zai-sim', SIM_BIN, [], {
    SIM_LISTEN_ADDR: '127.0.0.1:0', SIM_API_KEY: UPSTREAM_KEY, LOG_FORMAT: 'json', ...env,
  });
  await p.waitListening();
  p.ctl = simControl(p.port);
  await waitUntil(async () => (await fetch(`${p.url}/sim/stats`)).status === 200,
    START_TIMEOUT_MS, 'zai-sim /sim/stats');
  return p;
}

export function simControl(port) {
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, p, body) => {
    const res = await fetch(base + p, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${p} -> ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    script: (s) => call('POST', '/sim/script', s),
    reset: () => call('POST', '/sim/reset', {}),
    config: (c) => call('PUT', '/sim/config', c),
    quota: (q) => call('PUT', '/sim/quota', q),
    stats: () => call('GET', '/sim/stats'),
  };
}

// Counters in /sim/stats may be plain numbers or maps keyed by path or
// model; both read as their total.
export function statNum(v) {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object') return Object.values(v).reduce((a, x) => a + statNum(x), 0);
  return 0;
}

// ---------------------------------------------------------------- zai-proxy

export function proxyEnv(sim, env = {}) {
  return {
    LISTEN_ADDR: '127.0.0.1:0',
    LOG_FORMAT: 'json',
    ZAI_API_KEY: UPSTREAM_KEY,
    ZAI_BASE_URL: sim ? sim.url : undefined,
    RATE_LIMIT_STATE_FILE: 'none',
    DEPLOYMENT_VARIANT: 'e2e',
    IO_THREADS: '2',
    // The limiter is not under test here; keep it out of the way of bursts.
    RATE_LIMIT_INITIAL: '500',
    RATE_LIMIT_MAX: '500',
    ...env,
  };
}

export async function startProxy(sim, env = {}, { args = [] } = {}) {
  checkBinary(PROXY_BIN);
  const p = new Proc('zai-proxy', PROXY_BIN, args, proxyEnv(sim, env));
  await p.waitListening();
  await waitUntil(async () => (await fetch(`${p.url}/ready`)).status === 200,
    START_TIMEOUT_MS, 'zai-proxy /ready');
  return p;
}

// Runs zai-proxy to completion (config errors, check-config, version).
export function runProxy(args, env, timeoutMs = 10000) {
  checkBinary(PROXY_BIN);
  const r = spawnSync(PROXY_BIN, args, { env: childEnv(env), timeout: timeoutMs, encoding: 'utf8' });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

// ---------------------------------------------------------------- waiting

export async function waitUntil(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
        (last instanceof Error ? `: ${last.message}` : ''));
    }
    await sleep(25);
  }
}

// ---------------------------------------------------------------- metrics

function parseLabels(s) {
  const labels = {};
  let i = 0;
  while (i < s.length) {
    while (s[i] === ',' || s[i] === ' ') i++;
    if (i >= s.length) break;
    const eq = s.indexOf('=', i);
    const name = s.slice(i, eq).trim();
    i = eq + 1;
    if (s[i] !== '"') throw new Error(`bad label value in {${s}}`);
    i++;
    let v = '';
    for (; i < s.length && s[i] !== '"'; i++) {
      if (s[i] === '\\') {
        i++;
        v += s[i] === 'n' ? '\n' : s[i];
      } else {
        v += s[i];
      }
    }
    i++;
    labels[name] = v;
  }
  return labels;
}

// Prometheus text format 0.0.4 → { samples: [{name, labels, value}], types, help }.
export function parseExposition(text) {
  const samples = [];
  const types = new Map();
  const help = new Map();
  for (const line of text.split('\n')) {
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m && m[1] === 'TYPE') types.set(m[2], m[3]);
      if (m && m[1] === 'HELP') help.set(m[2], m[3]);
      continue;
    }
    let name, labels = {}, rest;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    if (brace >= 0 && brace < space) {
      name = line.slice(0, brace);
      const close = line.lastIndexOf('}');
      labels = parseLabels(line.slice(brace + 1, close));
      rest = line.slice(close + 1).trim();
    } else {
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    const v = rest.split(/\s+/)[0];
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
    samples.push({ name, labels, value });
  }
  return { samples, types, help };
}

const labelsMatch = (have, want) => Object.entries(want).every(([k, v]) => have[k] === String(v));

export function findSamples(expo, name, labels = {}) {
  return expo.samples.filter((s) => s.name === name && labelsMatch(s.labels, labels));
}

// Sum over every series matching name and the given labels (0 when none).
export function sumSamples(expo, name, labels = {}) {
  return findSamples(expo, name, labels).reduce((a, s) => a + s.value, 0);
}

export async function scrape(proxy) {
  const res = await fetch(`${proxy.url}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/metrics -> ${res.status}`);
  return { text, contentType: res.headers.get('content-type'), ...parseExposition(text) };
}

// Runs `promtool check metrics` on text; { skipped: true } if promtool is absent.
export function promtoolCheck(text) {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20000 });
  if (r.error && r.error.code === 'ENOENT') return { skipped: true };
  return { skipped: false, code: r.status, output: `${r.stdout}${r.stderr}` };
}

// ---------------------------------------------------------------- raw HTTP

// Incremental HTTP/1.1 response reader over one socket: headers, then the
// body decoded from Content-Length, chunked or close-delimited framing.
export class RawResponse {
  constructor(socket, { head = false } = {}) {
    this.socket = socket;
    this.isHead = head;
    this.buf = Buffer.alloc(0);
    this.status = 0;
    this.headerList = [];
    this.headers = {};
    this.headText = '';
    this.bodyChunks = [];
    this.bodyLength = 0;
    this.complete = false;
    this.closed = false;
    this.error = null;
    this.listeners = new Set();
    this.framing = null;
    this.remaining = 0;
    socket.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.parse(); this.notify(); });
    socket.on('end', () => { this.onClose(); });
    socket.on('close', () => { this.onClose(); });
    socket.on('error', (e) => { this.error = e; this.onClose(); });
  }

  onClose() {
    if (this.closed) return;
    this.closed = true;
    if (this.framing === 'close') this.complete = true;
    this.notify();
  }

  notify() { for (const l of [...this.listeners]) l(); }

  get body() {
    if (this.bodyChunks.length > 1) this.bodyChunks = [Buffer.concat(this.bodyChunks)];
    return this.bodyChunks[0] ?? Buffer.alloc(0);
  }

  pushBody(b) {
    if (b.length === 0) return;
    this.bodyChunks.push(b);
    this.bodyLength += b.length;
  }

  parse() {
    for (;;) {
      if (!this.framing) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        this.headText = this.buf.subarray(0, end).toString('latin1');
        this.buf = this.buf.subarray(end + 4);
        const [statusLine, ...hl] = this.headText.split('\r\n');
        this.status = Number(statusLine.split(' ')[1]);
        for (const l of hl) {
          const c = l.indexOf(':');
          const k = l.slice(0, c).trim().toLowerCase();
          const v = l.slice(c + 1).trim();
          this.headerList.push([k, v]);
          this.headers[k] = this.headers[k] === undefined ? v : `${this.headers[k]}, ${v}`;
        }
        if (this.status < 200 && this.status !== 101) {
          this.headerList = [];
          this.headers = {};
          continue;
        }
        const te = (this.headers['transfer-encoding'] || '').toLowerCase();
        if (this.isHead || this.status === 204 || this.status === 304) {
          this.framing = 'none';
          this.complete = true;
        } else if (te.includes('chunked')) {
          this.framing = 'chunked';
          this.remaining = -1;
        } else if (this.headers['content-length'] !== undefined) {
          this.framing = 'length';
          this.remaining = Number(this.headers['content-length']);
          if (this.remaining === 0) this.complete = true;
        } else {
          this.framing = 'close';
        }
      }
      if (this.complete) return;
      if (this.framing === 'length') {
        const n = Math.min(this.remaining, this.buf.length);
        this.pushBody(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        this.remaining -= n;
        if (this.remaining === 0) this.complete = true;
        return;
      }
      if (this.framing === 'close') {
        this.pushBody(this.buf);
        this.buf = Buffer.alloc(0);
        return;
      }
      // chunked: -1 = expecting a size line, -2 = expecting the end of the trailers
      if (this.remaining === -2) {
        if (this.buf.indexOf('\r\n') < 0) return;
        this.complete = true;
        return;
      }
      if (this.remaining === -1) {
        const eol = this.buf.indexOf('\r\n');
        if (eol < 0) return;
        const size = parseInt(this.buf.subarray(0, eol).toString('latin1'), 16);
        this.buf = this.buf.subarray(eol + 2);
        if (size === 0) {
          // Trailers (if any) end with an empty line.
          const tend = this.buf.indexOf('\r\n');
          if (tend < 0) { this.remaining = -2; return; }
          this.complete = true;
          return;
        }
        this.remaining = size;
      }
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, this.buf.length);
        this.pushBody(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        this.remaining -= n;
        if (this.remaining > 0) return;
      }
      if (this.buf.length < 2) { this.remaining = 0; return; }
      this.buf = this.buf.subarray(2);
      this.remaining = -1;
    }
  }

  // Resolves when pred(this) is true; rejects on timeout or when the
  // connection closes first.
  waitFor(pred, timeoutMs, what = 'condition') {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (pred(this)) { done(); resolve(this); return; }
        if (this.closed) {
          done();
          reject(new Error(`connection closed before ${what} (status ${this.status}, ${this.bodyLength} body bytes)`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms (status ${this.status}, ${this.bodyLength} body bytes)`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this.listeners.delete(check); };
      this.listeners.add(check);
      check();
    });
  }

  headersReceived(timeoutMs = 10000) { return this.waitFor((r) => r.framing !== null, timeoutMs, 'response headers'); }

  end(timeoutMs = 10000) { return this.waitFor((r) => r.complete, timeoutMs, 'end of response'); }

  destroy() { this.socket.destroy(); }
}

export function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.setNoDelay(true); resolve(s); });
    s.once('error', reject);
  });
}

// Sends one request on a new connection and returns its RawResponse
// (not yet complete). headers: object or [[k, v], ...] (order kept).
export async function rawRequest(port, { method = 'GET', path: p = '/', headers = {}, body, http10 = false } = {}) {
  const socket = await connect(port);
  const list = Array.isArray(headers) ? [...headers] : Object.entries(headers);
  const has = (n) => list.some(([k]) => k.toLowerCase() === n);
  if (!has('host')) list.unshift(['Host', `127.0.0.1:${port}`]);
  const bodyBuf = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(body);
  if (bodyBuf && !has('content-length') && !has('transfer-encoding')) list.push(['Content-Length', String(bodyBuf.length)]);
  const head = `${method} ${p} HTTP/${http10 ? '1.0' : '1.1'}\r\n` + list.map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
  const res = new RawResponse(socket, { head: method === 'HEAD' });
  socket.write(bodyBuf ? Buffer.concat([Buffer.from(head, 'latin1'), bodyBuf]) : Buffer.from(head, 'latin1'));
  return res;
}

// rawRequest + wait for the complete response, then close the socket.
export async function rawExchange(port, req, timeoutMs = 10000) {
  const res = await rawRequest(port, req);
  try {
    await res.end(timeoutMs);
  } finally {
    res.destroy();
  }
  return res;
}

// ---------------------------------------------------------------- requests

export function chatBody({ model = 'glm-4.7', stream = false, prompt = `Say hello. ${PROMPT_CANARY}`, maxTokens, extra = {} } = {}) {
  const b = { model, messages: [{ role: 'user', content: prompt }], stream };
  if (maxTokens !== undefined) b.max_tokens = maxTokens;
  return JSON.stringify({ ...b, ...extra });
}

export function messagesBody({ model = 'glm-4.7', stream = false, prompt = `Say hello. ${PROMPT_CANARY}`, maxTokens = 1024, extra = {} } = {}) {
  return JSON.stringify({ model, max_tokens: maxTokens, messages: [{ role: 'user', content: prompt }], stream, ...extra });
}

// Header sets for talking to the sim directly with the upstream key.
export const simOpenAIAuth = () => ({ authorization: `Bearer ${UPSTREAM_KEY}` });
export const simAnthropicAuth = () => ({ 'x-api-key': UPSTREAM_KEY, 'anthropic-version': '2023-06-01' });

export async function fetchBytes(url, init = {}) {
  const res = await fetch(url, init);
  const body = Buffer.from(await res.arrayBuffer());
  return { res, status: res.status, headers: res.headers, body, text: body.toString('utf8') };
}

// Splits SSE text into events (arrays of lines), ignoring the trailing
// partial event if the text does not end at a boundary.
export function sseEvents(text) {
  return text.split(/\r?\n\r?\n/).filter((e) => e.length > 0).map((e) => e.split(/\r?\n/));
}

// ---------------------------------------------------------------- logs

// Sanitizer reports (ASan, LSan, UBSan) in any process fail the suite too:
// the ASan build runs these same files.
const SANITIZER_MARKERS = ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:'];

// Grep the stderr of every process this file started for strings that must
// never be logged, and for sanitizer reports. Returns a list of
// human-readable findings (empty = clean).
export function logFindings(forbidden, procs = allProcs()) {
  const found = [];
  for (const p of procs) {
    p.lines.forEach((line, i) => {
      for (const f of [...forbidden, ...SANITIZER_MARKERS]) {
        if (line.includes(f)) found.push(`${p.name}[${p.pid}] line ${i + 1} contains ${JSON.stringify(f)}`);
      }
    });
  }
  return found;
}

export const PROXY_FORBIDDEN = [UPSTREAM_KEY, CLIENT_KEY, PROMPT_CANARY, PROVIDER_MARKER];

// The closing check of every proxy suite: stop everything, then every
// zai-proxy this file started must have exited 0 (a sanitizer report or a
// leak makes it non-zero) and logged nothing secret. Returns those processes.
export async function stopAndCheckProxies(extraForbidden = []) {
  await stopAll();
  const proxies = allProcs().filter((p) => p.name === 'zai-proxy');
  assert.deepEqual(logFindings([...PROXY_FORBIDDEN, ...extraForbidden], proxies), []);
  for (const p of proxies) assert.deepEqual(p.exit, { code: 0, signal: null }, `${p.name}[${p.pid}]: ${p.tail(5)}`);
  return proxies;
}
