// corpus.mjs: the deterministic tokenizer parity corpus (STACK.md §6.4).
// Every item is raw bytes (a Buffer), so invalid UTF-8 can be carried to the
// C side exactly; the reference tokenizer sees those bytes decoded by
// TextDecoder (U+FFFD per maximal invalid subpart), which is the replacement
// the C tokenizer performs itself. Hand-written edge cases come first, then
// seeded random items; the same seed always yields the same corpus.

const enc = new TextEncoder();
const utf8 = (s) => Buffer.from(enc.encode(s));

// mulberry32: a tiny seeded PRNG, enough for reproducible variety.
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (rnd, arr) => arr[Math.floor(rnd() * arr.length)];
const int = (rnd, lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));

const PROSE = `It was a bright cold day in April, and the proxy was relaying its thirteenth
million request. Nobody had planned for the queue to fill up so quickly; the
operators' dashboards showed a steady climb, then a cliff. "Don't panic," said
the on-call engineer, who had seen worse. She checked the rate limiter, the
upstream's 429 responses (there were 1,204 of them in the last five minutes),
and the retry budget. Everything was behaving exactly as specified -- which,
as anyone who has run a service in production knows, is rarely the same thing
as behaving well.

The fix, in the end, was a one-line change to the admission controller. It
shipped at 03:17 UTC, and by 03:20 the graphs were flat again. I'LL never
understand why we're always surprised; we've written this post-mortem before.`;

// Natural text in several languages (also the multilingual bench sample).
export const MULTILINGUAL = [
  'Der Proxy zählt die Tokens jeder Anfrage, bevor er sie an den Upstream weiterleitet. '
    + 'Wenn die Antwort keine Nutzungsdaten enthält, wird die Ausgabe lokal geschätzt – '
    + 'das ist ungenau, aber besser als gar nichts. Überlange Wörter wie '
    + 'Donaudampfschifffahrtsgesellschaftskapitän dürfen den Zähler nicht verlangsamen.',
  'Le serveur mandataire applique une limite de débit par clé : au-delà de soixante '
    + 'requêtes par minute, il répond 429 et indique dans l\'en-tête Retry-After le délai '
    + 'à respecter. « Ce n\'est pas une erreur, c\'est une politesse », disait l\'équipe.',
  'El simulador responde con fragmentos de texto a un ritmo configurable, de modo que las '
    + 'pruebas pueden medir la latencia añadida sin depender de la red. ¿Cuántos tokens '
    + 'por segundo? Ciento veinte, por defecto; la señal de cancelación llega al instante.',
  'Прокси-сервер принимает запросы в форматах OpenAI и Anthropic, переводит их в формат '
    + 'Z.AI и возвращает ответы без изменений. Счётчик токенов работает локально: если '
    + 'верхний сервер не сообщил использование, количество оценивается по тексту ответа.',
  '代理服务器在转发请求之前会先估算输入的令牌数量，并根据配额决定是否接受请求。'
    + '当上游返回速率限制错误时，代理会按照指数退避策略重试，最多三次。'
    + '所有计数都会记录到监控指标中，方便运维人员在仪表板上查看。',
  'このプロキシは、OpenAI形式とAnthropic形式の両方のリクエストを受け付けます。'
    + 'トークン数はローカルで数え、上流の応答に使用量が含まれていない場合は推定値を記録します。'
    + '設定は環境変数で行い、再起動なしで反映されるものもあります。',
  '프록시는 요청을 업스트림으로 전달하기 전에 입력 토큰 수를 추정합니다. '
    + '응답에 사용량 정보가 없으면 출력 텍스트를 직접 세어 기록하며, '
    + '이 값은 대시보드와 메트릭에서 확인할 수 있습니다.',
  'يقوم الخادم الوسيط بعدّ الرموز في كل طلب قبل تمريره إلى الخادم الأصلي. '
    + 'إذا لم تتضمن الاستجابة بيانات الاستخدام، يتم تقدير المخرجات محلياً، '
    + 'ويُسجَّل ذلك في المقاييس حتى يتمكن المشغلون من مراقبته.',
  'प्रॉक्सी हर अनुरोध को आगे भेजने से पहले उसके टोकन गिनता है। '
    + 'यदि उत्तर में उपयोग की जानकारी नहीं होती, तो आउटपुट का अनुमान स्थानीय रूप से लगाया जाता है।',
  'Ο διακομιστής μεσολάβησης μετρά τα διακριτικά κάθε αιτήματος πριν το προωθήσει. '
    + 'Όταν η απάντηση δεν περιέχει στοιχεία χρήσης, η έξοδος εκτιμάται τοπικά.',
  'Proxy sunucusu her isteği iletmeden önce belirteçleri sayar; yanıt kullanım bilgisi '
    + 'içermiyorsa çıktı yerel olarak tahmin edilir. Ölçümler panoda görünür.',
  'Máy chủ proxy đếm số token của mỗi yêu cầu trước khi chuyển tiếp. Nếu phản hồi '
    + 'không có thông tin sử dụng, đầu ra sẽ được ước tính cục bộ.',
].join('\n\n');

const CODE_C = `/* strbuf: a growable byte buffer. */
#include <stdlib.h>
#include <string.h>

typedef struct strbuf { char *p; size_t len, cap; } strbuf;

static int strbuf_grow(strbuf *b, size_t need)
{
\tif (b->len + need <= b->cap)
\t\treturn 0;
\tsize_t cap = b->cap ? b->cap * 2 : 64;
\twhile (cap < b->len + need)
\t\tcap *= 2;
\tchar *p = realloc(b->p, cap);
\tif (!p)
\t\treturn -1;
\tb->p = p;
\tb->cap = cap;
\treturn 0;
}
`;

const CODE_PY = `def byte_pair_merge(ranks: dict[bytes, int], piece: bytes) -> list[int]:
    parts = [(i, ranks.get(piece[i:i + 2], 2**32)) for i in range(len(piece) - 1)]
    while True:
        min_rank, i = min((r, i) for i, (_, r) in enumerate(parts[:-1]))
        if min_rank == 2**32:
            break
        parts.pop(i + 1)  # merge!
    return [p for p, _ in parts]

if __name__ == "__main__":
    print(byte_pair_merge({b"ab": 0}, b"abab"))
`;

const CODE_JS = `export async function* sse(res) {
  const dec = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body) {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\\n\\n')) >= 0) {
      yield buf.slice(0, i); buf = buf.slice(i + 2);
    }
  }
}
const camelCaseIdentifier = getHTTPResponseCode(XMLHttpRequest, parseJSON5Value);
`;

const JSON_BODY = JSON.stringify({
  model: 'glm-4.6',
  stream: true,
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Summarise RFC 9110 §15.5.20 in 3 bullet points, please.' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_0', type: 'function',
      function: { name: 'lookup', arguments: '{"rfc":9110,"section":"15.5.20"}' } }] },
  ],
  tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object',
    properties: { rfc: { type: 'integer' }, section: { type: 'string' } } } } }],
  max_tokens: 1024, temperature: 0.7,
}, null, 2);

// One "word" of count letters drawn from alphabet: a single long piece.
function longWord(rnd, alphabet, count) {
  const chars = [...alphabet];
  let s = '';
  for (let i = 0; i < count; i++) s += pick(rnd, chars);
  return s;
}

// Fixed edge cases: [name, text or Buffer].
function fixedItems() {
  const rnd = prng(0xb64);
  const blob = Buffer.alloc(30000);
  for (let i = 0; i < blob.length; i++) blob[i] = Math.floor(rnd() * 256);
  return [
    ['empty', ''],
    ['hello', 'Hello'],
    ['hello-world', 'Hello, world!'],
    ['quick-brown-fox', 'The quick brown fox jumps over the lazy dog.'],
    ['prose-en', PROSE],
    ['prose-multilingual', MULTILINGUAL],
    ['code-c', CODE_C],
    ['code-python', CODE_PY],
    ['code-js', CODE_JS],
    ['json-request', JSON_BODY],
    ['json-compact', JSON.stringify(JSON.parse(JSON_BODY))],
    ['cjk-zh', '人工智能正在改变世界。我们今天讨论大型语言模型的分词器，以及它如何影响计费和速率限制。'],
    ['cjk-ja', '東京は日本の首都です。ひらがな、カタカナ、そして漢字を混ぜて書きます。ｶﾀｶﾅ（半角）も。'],
    ['cjk-ko', '안녕하세요! 토크나이저가 한국어를 어떻게 나누는지 확인합니다. 한글 자모: ㄱㄴㄷ'],
    ['arabic', 'مرحبا بالعالم! هذا نص عربي مع أرقام ١٢٣٤٥ وعلامات تشكيل: كَتَبَ الطَّالِبُ.'],
    ['hebrew', 'שלום עולם, זהו טקסט בעברית עם ניקוד: בְּרֵאשִׁית.'],
    ['cyrillic', 'Съешь же ещё этих мягких французских булок, да выпей чаю. Ґанок, їжак, Є.'],
    ['greek', 'Ξεσκεπάζω τὴν ψυχοφθόρα βδελυγμία. ΑΒΓΔ αβγδ ς Σ.'],
    ['devanagari', 'नमस्ते दुनिया! यह हिन्दी पाठ है। क्षत्रिय ज्ञान'],
    ['thai', 'สวัสดีชาวโลก ภาษาไทยไม่มีช่องว่างระหว่างคำ'],
    ['mixed-scripts', 'helloМир世界 Ωmega-ω42 日本語English한국어 العربيةabc'],
    ['emoji', 'I ❤️ tokenizers 😀😃😄 🚀 👍🏽 ✋🏿 🇩🇪🇯🇵 #️⃣ 1️⃣'],
    ['emoji-zwj', '👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 🧑‍🤝‍🧑 🐻‍❄️'],
    ['combining', 'e\u0301 a\u0308 n\u0303 Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǵ̗̻͗o̯̱ \u0301start'],
    ['spaces-unicode', 'a\u00a0b\u2003c\u3000d\u2009e\u202ff\u200bg\u2028h\u2029i\u0085j\u1680k\u205fl'],
    ['spaces-runs', 'a  b   c    d\t\te \t f\u00a0\u00a0g\u3000\u3000\u3000h'],
    ['whitespace-only', ' \t\n  \r\n\u00a0 '],
    ['spaces-only', '          '],
    ['newlines-only', '\n\n\n\n'],
    ['crlf', 'line one\r\nline two\r\n\r\nline four\r\n'],
    ['lone-cr', 'a\rb\r\rc\r'],
    ['trailing-spaces', 'trailing spaces   '],
    ['trailing-newlines', 'trailing newlines\n\n\n'],
    ['trailing-mixed', 'end \n \n  '],
    ['vt-ff', 'a\u000bb\u000cc \u000b\u000c d'],
    ['contractions', "I'LL don't DON'T we've She'S they'RE you'd 'll 'Ve x'M it's"],
    ['contractions-edge', "'s'S ''s 's's O'Neil rock'n'roll l'été x'ſ ſ'ſ"],
    ['special-tokens', '<|endoftext|> <|fim_prefix|><|fim_middle|><|fim_suffix|> <|im_start|>user\nhi<|im_end|> <|endofprompt|>'],
    ['digits', '12345678901234567890 3.14159 1,000,000 0x1F 2024-11-24T20:49:00Z'],
    ['digits-unicode', '٣٤٥ ۱۲۳ १२३ ①②③ Ⅻ ½¾ ²³ 𝟙𝟚𝟛'],
    ['camel-case', 'camelCaseIdentifier getHTTPResponseCode XMLHttpRequest snake_case_name SCREAMING_CASE'],
    ['paths-urls', '/usr/local/bin/zai-proxy https://api.z.ai/api/paas/v4/chat/completions?x=1&y=2 C:\\Windows\\System32 a//b///c\n/d'],
    ['punct-runs', '!!!??? ... --- === ### *** ~~~ ``` """ \'\'\' ;;; ::: ,,, .\n.\r\n'],
    ['markdown', '# Title\n\n* item **bold** _em_ `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\n'],
    ['control-chars', 'a\u0000b\u0001c\u001fd\u007fe'],
    ['bom-nonchar', '\ufeffBOM \ufffe \uffff \u{10ffff} \ue000 \ufffd'],
    ['unicode15', 'a\u{11f04}b a\u{31350}b a\u{1e4d0}b x\u{2ebf0}y a\u0cf3b 1\u1b4c2 \u{11f04}\u{11f05}'],
    ['astral', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝒽𝑒𝓁𝓁𝑜 𐐷𐑌 🀄🃏 𓀀𓀁'],
    ['repeat-A-5000', 'A'.repeat(5000)],
    ['repeat-a-50000', 'a'.repeat(50000)],
    ['repeat-ab-20000', 'ab'.repeat(10000)],
    ['repeat-e-acute-3000', 'é'.repeat(3000)],
    ['repeat-cjk-5000', '你'.repeat(5000)],
    ['repeat-space-10000', ' '.repeat(10000)],
    ['repeat-space-then-word', ' '.repeat(1000) + 'word'],
    ['repeat-newline-5000', '\n'.repeat(5000)],
    ['repeat-bang-20000', '!'.repeat(20000)],
    ['repeat-digits', '1234567890'.repeat(1000)],
    ['long-random-latin-word', longWord(rnd, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 8000)],
    ['long-random-cjk-run', longWord(rnd, SCRIPTS[5], 3000)],
    ['long-random-cyrillic-word', longWord(rnd, SCRIPTS[3], 4000)],
    ['base64-blob', blob.toString('base64')],
    ['hex-blob', blob.subarray(0, 4000).toString('hex')],
    ['invalid-ff', Buffer.from([0x61, 0xff, 0x62])],
    ['invalid-lone-continuation', Buffer.from('ok\x80\x80\x80ok', 'latin1')],
    ['invalid-bad-second', Buffer.from([0xc3, 0x28, 0x41])],
    ['invalid-truncated-3', Buffer.from([0x78, 0xe2, 0x82, 0x79])],
    ['invalid-surrogate', Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62])],
    ['invalid-above-max', Buffer.from([0xf4, 0x90, 0x80, 0x80, 0x20, 0x61])],
    ['invalid-overlong', Buffer.from([0xc0, 0xaf, 0xe0, 0x80, 0xaf, 0xc1, 0xbf])],
    ['invalid-truncated-end', Buffer.from([0x61, 0x62, 0x63, 0xe4, 0xbd])],
    ['invalid-truncated-emoji', Buffer.concat([Buffer.from([0xf0, 0x9f, 0x98]), utf8(' smile')])],
    ['invalid-f5-fe', Buffer.from([0xf5, 0x20, 0xfe, 0x20, 0xf8, 0x88, 0x80, 0x80, 0x80])],
    ['invalid-in-word', Buffer.concat([utf8('hel'), Buffer.from([0x80]), utf8('lo wor'), Buffer.from([0xe0, 0xa0]), utf8('ld')])],
  ];
}

const SCRIPTS = [
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  'abcdefghijklmnopqrstuvwxyz',
  'àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿœšžßÀÉÎÕÜŒ',
  'абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗ',
  'αβγδεζηθικλμνξοπρσςτυφχψωΑΒΓΔΕΖΗΘ',
  '的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都三小',
  'あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんアイウエオカキクケコ',
  '가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허',
  'ابتثجحخدذرزسشصضطظعغفقكلمنهوي',
  'कखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसह्ािीुूेैोौं',
  '0123456789',
];
const PUNCT = ".,;:!?'\"()[]{}<>-_=+*/\\|@#$%^&~`";
const SPACES = [' ', ' ', ' ', ' ', '  ', '\n', '\n\n', '\t', '\r\n', ' \n', '\u00a0', '\u3000', '   '];
const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'Re"];

function randomWords(rnd) {
  const out = [];
  const n = int(rnd, 1, 80);
  for (let w = 0; w < n; w++) {
    const alphabet = [...pick(rnd, SCRIPTS)];
    let word = '';
    for (let k = int(rnd, 1, 12); k > 0; k--) word += pick(rnd, alphabet);
    const r = rnd();
    if (r < 0.1) word += pick(rnd, CONTRACTIONS);
    else if (r < 0.25) word += PUNCT[int(rnd, 0, PUNCT.length - 1)];
    else if (r < 0.3) word = word[0].toUpperCase() + word.slice(1);
    out.push(word, pick(rnd, SPACES));
  }
  return out.join('');
}

// Code point ranges drawn from, with weights: ASCII dominates, then the
// scripts, marks, spaces and symbols where splitting rules differ.
const RANGES = [
  [0x20, 0x7e, 30], [0x09, 0x0d, 4], [0xa0, 0xff, 4], [0x100, 0x24f, 3], [0x300, 0x36f, 3],
  [0x370, 0x3ff, 2], [0x400, 0x4ff, 3], [0x590, 0x5ff, 1], [0x600, 0x6ff, 2], [0x900, 0x97f, 2],
  [0xe00, 0xe7f, 1], [0x1100, 0x11ff, 1], [0x2000, 0x206f, 3], [0x20a0, 0x20cf, 1],
  [0x2100, 0x218f, 2], [0x2190, 0x2bff, 2], [0x3000, 0x303f, 2], [0x3040, 0x30ff, 3],
  [0x4e00, 0x9fff, 5], [0xac00, 0xd7a3, 3], [0xe000, 0xe0ff, 1], [0xfe00, 0xfe0f, 1],
  [0xff00, 0xffef, 2], [0x1d400, 0x1d7ff, 1], [0x1f300, 0x1faff, 4], [0x20000, 0x2a6df, 1],
  [0xe0000, 0xe007f, 1],
];
const RANGE_TOTAL = RANGES.reduce((s, r) => s + r[2], 0);

function randomCodePoints(rnd) {
  let s = '';
  for (let k = int(rnd, 1, 200); k > 0; k--) {
    let w = rnd() * RANGE_TOTAL;
    const r = RANGES.find((x) => (w -= x[2]) < 0) ?? RANGES[0];
    s += String.fromCodePoint(int(rnd, r[0], r[1]));
  }
  return s;
}

function randomBytes(rnd) {
  const b = Buffer.alloc(int(rnd, 1, 120));
  for (let i = 0; i < b.length; i++) {
    const r = rnd();
    b[i] = r < 0.6 ? int(rnd, 0x20, 0x7e) : r < 0.7 ? 0x20 : int(rnd, 0x80, 0xff);
  }
  return b;
}

function randomAsciiTricky(rnd) {
  const atoms = ["'", "'s", "'ll", ' ', '  ', '\n', '\r\n', '\t', 'a', 'Ab', 'XYZ', 'x1', '123',
    '4567', '!', '?!', '...', '/', '//', ' /', '\n/', '_', '-', ' \n ', '   \n'];
  let s = '';
  for (let k = int(rnd, 1, 60); k > 0; k--) s += pick(rnd, atoms);
  return s;
}

// The whole corpus: [{ name, bytes }].
export function corpus(seed = 20261124) {
  const rnd = prng(seed);
  const items = fixedItems().map(([name, v]) => ({ name, bytes: Buffer.isBuffer(v) ? v : utf8(v) }));
  const gens = [['words', randomWords, 150], ['codepoints', randomCodePoints, 120],
    ['bytes', randomBytes, 60], ['ascii-tricky', randomAsciiTricky, 80]];
  for (const [kind, gen, count] of gens) {
    for (let i = 0; i < count; i++) {
      const v = gen(rnd);
      items.push({ name: `random-${kind}-${i}`, bytes: Buffer.isBuffer(v) ? v : utf8(v) });
    }
  }
  return items;
}
