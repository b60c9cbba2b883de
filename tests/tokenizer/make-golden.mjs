// make-golden.mjs: writes the tokenizer parity golden file. For every corpus
// item (corpus.mjs) it records the raw bytes (hex) and the token ids that
// the npm `tiktoken` package (OpenAI's Rust tiktoken compiled to WASM) gives
// with encode_ordinary for cl100k_base and o200k_base. The bytes are decoded
// with TextDecoder first (invalid UTF-8 -> U+FFFD per maximal subpart), which
// is the replacement the C tokenizer performs on the same bytes; fixed_hex
// holds the repaired bytes of such items, for the C test's round trip.
//
//   node make-golden.mjs OUT.json [SEED]
//
// A SEED other than the default gives a different random part, for longer
// parity soaks: ZAI_TOKENIZER_GOLDEN=OUT.json build/bin/test_lib_tokenizer.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { corpus } from './corpus.mjs';

const require = createRequire(import.meta.url);

function loadTiktoken() {
  try {
    const pkg = new URL('./node_modules/tiktoken/package.json', import.meta.url);
    return { ...require('tiktoken'), version: JSON.parse(readFileSync(pkg, 'utf8')).version };
  } catch (e) {
    console.error('make-golden: cannot load the npm package tiktoken from tests/tokenizer/node_modules '
      + `(${e.code ?? e.message}): run scripts/bootstrap (npm ci in tests/tokenizer)`);
    process.exit(1);
  }
}

const out = process.argv[2];
if (!out) {
  console.error('usage: node make-golden.mjs OUT.json [SEED]');
  process.exit(2);
}

const tiktoken = loadTiktoken();
const names = ['cl100k_base', 'o200k_base'];
const encoders = names.map((n) => tiktoken.get_encoding(n));
// ignoreBOM keeps a leading U+FEFF as text instead of dropping it.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const seed = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const items = corpus(seed).map(({ name, bytes }) => {
  const text = decoder.decode(bytes);
  const item = { name, hex: bytes.toString('hex') };
  const fixed = Buffer.from(text, 'utf8');
  if (!fixed.equals(bytes)) item.fixed_hex = fixed.toString('hex');
  names.forEach((n, i) => { item[n] = Array.from(encoders[i].encode_ordinary(text)); });
  return item;
});
encoders.forEach((e) => e.free());

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ reference: `tiktoken@${tiktoken.version}`, items }));
console.error(`make-golden: ${items.length} items -> ${out}`);
