// bench.mjs: the C tokenizer (zai-tokcount) against the npm tiktoken (WASM)
// and js-tiktoken (pure JS) packages on the same files, both encodings. Run
// by bench/tokenizer, which documents the options; prints the Markdown
// report on stdout. Counts must agree across all three, or the row says so.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { MULTILINGUAL, corpus } from './corpus.mjs';

const require = createRequire(import.meta.url);
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const bin = args.bin;
const root = args.root;
const tmp = args.tmp;
const repeat = Number(args.repeat ?? 3);
const targetMB = Number(args['size-mb'] ?? 2);
const ENCODINGS = ['cl100k_base', 'o200k_base'];

function version(pkg) {
  return JSON.parse(readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url))).version;
}

// Files under dir (recursively) whose names match re, skipping dependencies and build trees.
function sources(dir, re) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === 'node_modules' || /^build/.test(name) || name === 'tmp') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p, re));
    else if (re.test(name)) out.push(p);
  }
  return out;
}

// Repeats text up to about targetMB megabytes (none of the three caches pieces).
function fill(text) {
  const times = Math.max(1, Math.ceil((targetMB * 1e6) / Buffer.byteLength(text)));
  return text.repeat(times);
}

function writeCorpus() {
  mkdirSync(tmp, { recursive: true });
  const english = sources(root, /\.md$/).map((p) => readFileSync(p, 'utf8')).join('\n\n')
    + '\n\n' + corpus().find((i) => i.name === 'prose-en').bytes.toString();
  const code = sources(root, /\.(c|h|mjs|sh|lua)$/).map((p) => readFileSync(p, 'utf8')).join('\n');
  const random = corpus().filter((i) => i.name.startsWith('random-words') || i.name.startsWith('random-codepoints'))
    .map((i) => i.bytes.toString()).join('\n');
  const files = {
    'english.txt': [fill(english), 'the repository\'s Markdown plus an English paragraph'],
    'code.txt': [fill(code), 'the repository\'s C, shell, Lua and JavaScript sources'],
    'multilingual.txt': [fill(MULTILINGUAL), 'natural text in 12 languages (corpus.mjs MULTILINGUAL)'],
    'random-scripts.txt': [fill(random), 'random words and code points over many scripts (worst case)'],
  };
  for (const [name, [text]] of Object.entries(files)) writeFileSync(join(tmp, name), text);
  writeFileSync(join(tmp, 'long-piece.txt'), 'a'.repeat(50000));
  writeFileSync(join(tmp, 'tiny.txt'), 'Hello, world!');
  return Object.fromEntries(Object.entries(files).map(([n, [, what]]) => [n, what]));
}

function timeBest(fn) {
  fn();
  let best = Infinity;
  let count = 0;
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    count = fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds: best, tokens: count };
}

function runC(enc, files) {
  const out = execFileSync(bin, ['-e', enc, '-n', String(repeat + 1), ...files], { maxBuffer: 1 << 26 });
  return JSON.parse(out.toString());
}

function runJs(enc, file, which) {
  const text = readFileSync(file, 'utf8');
  if (which === 'tiktoken') {
    const e = require('tiktoken').get_encoding(enc);
    const r = timeBest(() => e.encode_ordinary(text).length);
    e.free();
    return r;
  }
  const e = require('js-tiktoken').getEncoding(enc);
  return timeBest(() => e.encode(text, [], []).length);
}

const mbps = (bytes, s) => bytes / 1e6 / s;
const f1 = (x) => x.toFixed(1);
const mb = (kb) => (kb / 1024).toFixed(1);

function main() {
  const what = writeCorpus();
  const names = Object.keys(what);
  const rows = [];
  const mem = [];
  const longRows = [];
  for (const enc of ENCODINGS) {
    const c = runC(enc, names.map((n) => join(tmp, n)));
    const tiny = runC(enc, [join(tmp, 'tiny.txt')]);
    mem.push({ enc, load_ms: tiny.load_ms, before: tiny.rss_before_kb, loaded: tiny.rss_loaded_kb,
      hwm: tiny.hwm_loaded_kb });
    c.files.forEach((cf, i) => {
      const file = join(tmp, names[i]);
      const tk = runJs(enc, file, 'tiktoken');
      const js = runJs(enc, file, 'js-tiktoken');
      rows.push({ enc, name: names[i], bytes: cf.bytes, tokens: cf.tokens, c: cf.mb_per_s,
        tk: mbps(cf.bytes, tk.seconds), js: mbps(cf.bytes, js.seconds),
        agree: cf.tokens === tk.tokens && cf.tokens === js.tokens });
    });
    const lc = runC(enc, [join(tmp, 'long-piece.txt')]).files[0];
    const lt = runJs(enc, join(tmp, 'long-piece.txt'), 'tiktoken');
    longRows.push({ enc, c: lc.seconds, tk: lt.seconds, agree: lc.tokens === lt.tokens });
  }
  return report(what, rows, mem, longRows);
}

function report(what, rows, mem, longRows) {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const L = [];
  L.push('# Tokenizer: C (lib/tokenizer.c) vs npm tiktoken and js-tiktoken', '');
  L.push(`Run ${now} by \`bench/tokenizer\`. A benchmark, not a test: numbers vary between runs and machines.`, '');
  L.push(`Machine: ${os.cpus().length} CPUs (${cpu}), Linux ${os.release()}; node ${process.version}; `
    + `tiktoken ${version('tiktoken')} (Rust compiled to WASM), js-tiktoken ${version('js-tiktoken')} (pure JS).`);
  L.push(`C: \`zai-tokcount\` (bench/tokcount.c), PCRE2 JIT; best of ${repeat + 1} runs. `
    + `JS: one warm-up run, then best of ${repeat}; tiktoken with \`encode_ordinary\`, js-tiktoken with `
    + '`encode(text, [], [])` (special-token text as plain text in all three).', '');
  L.push('Corpora (each repeated to about ' + targetMB + ' MB; none of the three caches pieces):', '');
  for (const [n, w] of Object.entries(what)) L.push(`* \`${n}\`: ${w}.`);
  L.push('', '## Throughput', '');
  L.push('| encoding | corpus | bytes | tokens | C MB/s | tiktoken MB/s | js-tiktoken MB/s | C ÷ tiktoken | C ÷ js-tiktoken | counts |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    L.push(`| ${r.enc} | ${r.name} | ${r.bytes} | ${r.tokens} | ${f1(r.c)} | ${f1(r.tk)} | ${f1(r.js)} | `
      + `${f1(r.c / r.tk)}× | ${f1(r.c / r.js)}× | ${r.agree ? 'identical' : '**differ**'} |`);
  }
  L.push('', '## One 50 KB letters-only piece', '');
  L.push('`"a" × 50000`: a single pre-split piece. tiktoken\'s merge is quadratic in the piece length; '
    + 'the C merge switches to a heap at 100 bytes. (js-tiktoken needs about two minutes for it and is not run.)', '');
  L.push('| encoding | C ms | tiktoken ms | ratio | counts |', '|---|---:|---:|---:|---|');
  for (const r of longRows) {
    L.push(`| ${r.enc} | ${(r.c * 1e3).toFixed(1)} | ${(r.tk * 1e3).toFixed(0)} | ${f1(r.tk / r.c)}× | `
      + `${r.agree ? 'identical' : '**differ**'} |`);
  }
  L.push('', '## Memory (C, one process per encoding)', '');
  L.push('RSS of `zai-tokcount` before loading, after loading the rank file (sha256 check, table build, '
    + 'PCRE2 JIT), and its peak during the load (the file buffer and parse scratch, freed after). '
    + 'The process before loading already holds the C runtime and the libraries `zai_lib` links; '
    + 'the SHA-256 check initialises OpenSSL, about 2 MB of the increase, which zai-proxy pays anyway for libcurl.', '');
  L.push('| encoding | load ms | RSS before MB | RSS loaded MB | increase MB | peak MB |', '|---|---:|---:|---:|---:|---:|');
  for (const m of mem) {
    L.push(`| ${m.enc} | ${f1(m.load_ms)} | ${mb(m.before)} | ${mb(m.loaded)} | ${mb(m.loaded - m.before)} | ${mb(m.hwm)} |`);
  }
  const minRatio = Math.min(...rows.map((r) => r.c / r.tk));
  const cl = mem.find((m) => m.enc === 'cl100k_base');
  const agree = rows.every((r) => r.agree) && longRows.every((r) => r.agree);
  L.push('', '## Against the targets', '');
  L.push('| measure | value | target | |', '|---|---:|---:|---|');
  L.push(`| lowest C ÷ tiktoken throughput ratio | ${f1(minRatio)}× | ≥ 5× | ${minRatio >= 5 ? 'met' : 'missed'} |`);
  L.push(`| cl100k_base process RSS with the table loaded | ${mb(cl.loaded)} MB | < 12 MB | ${cl.loaded < 12 * 1024 ? 'met' : 'missed'} |`);
  L.push(`| token counts identical to tiktoken | ${agree ? 'all rows' : 'not all rows'} | all rows | ${agree ? 'met' : 'missed'} |`);
  L.push('');
  process.stdout.write(L.join('\n'));
  return 0;
}

process.exitCode = main();
