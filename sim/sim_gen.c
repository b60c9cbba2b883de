/* sim_gen: everything deterministic about a generated answer — the request
 * hash, ids and `created`, the pseudo-words, and the usage numbers. The bytes
 * of an answer depend only on the configuration, the seed and the request, so
 * a request sent twice (directly or through the proxy) yields identical bytes;
 * nothing here reads the clock or a counter. */
#include "sim_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* First `created` instant (2025-11-24T10:00:00Z, as in ZAI-API.md §3.2) and the span ids fall into. */
#define SIM_CREATED_BASE 1763978400LL
#define SIM_CREATED_SPAN (365LL * 86400)

/* Very common English words: each " word" is a single token in the cl100k
 * and o200k encodings, so the word count is the output token count. */
static const char *const words[64] = {
    " the", " and", " of", " to", " in", " is", " it", " that",
    " for", " on", " with", " as", " was", " be", " by", " at",
    " this", " from", " have", " or", " not", " are", " but", " all",
    " can", " one", " more", " time", " when", " which", " there", " will",
    " about", " would", " their", " what", " out", " up", " so", " if",
    " some", " into", " other", " then", " new", " also", " just", " like",
    " over", " only", " first", " after", " people", " make", " well", " year",
    " work", " good", " way", " could", " know", " most", " because", " day",
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t fnv64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t fnv64_seed(uint64_t seed)
{
    unsigned char s[8];
    for (int i = 0; i < 8; i++)
        s[i] = (unsigned char)(seed >> (8 * i));
    return fnv64(0xcbf29ce484222325ULL, s, sizeof s);
}

uint64_t sim_hash_request(uint64_t seed, const char *method, const char *path,
                          const char *body, size_t len)
{
    uint64_t h = fnv64_seed(seed);
    h = fnv64(h, method, strlen(method) + 1);
    h = fnv64(h, path, strlen(path) + 1);
    h = fnv64(h, body, len);
    return mix64(h);
}

void sim_fmt_utc8(long long epoch_s, char out[24])
{
    time_t t = (time_t)(epoch_s + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%d %H:%M:%S", &tm);
}

static void fmt_digits_utc8(long long epoch_s, char out[16])
{
    time_t t = (time_t)(epoch_s + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

static long long created_of(uint64_t hash)
{
    return SIM_CREATED_BASE + (long long)(hash % (uint64_t)SIM_CREATED_SPAN);
}

void sim_request_id(uint64_t hash, char out[40])
{
    char d[16];
    fmt_digits_utc8(created_of(hash), d);
    snprintf(out, 40, "%s%016" PRIx64, d, mix64(hash ^ 0x5a5a5a5a5a5a5a5aULL));
}

/* ---- input estimate ------------------------------------------------------- */

static size_t block_text_bytes(const cJSON *block);

/* Bytes of a content value: a string, or an array of blocks. */
static size_t content_bytes(const cJSON *content)
{
    if (cJSON_IsString(content))
        return strlen(content->valuestring);
    size_t n = 0;
    const cJSON *b;
    if (cJSON_IsArray(content))
        cJSON_ArrayForEach(b, content) n += block_text_bytes(b);
    return n;
}

static size_t block_text_bytes(const cJSON *block)
{
    static const char *const fields[] = {"text", "thinking", NULL};
    size_t n = 0;
    if (cJSON_IsString(block))
        return strlen(block->valuestring);
    for (int i = 0; fields[i]; i++) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(block, fields[i]);
        if (cJSON_IsString(f))
            n += strlen(f->valuestring);
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
    if (cJSON_IsString(type) && strcmp(type->valuestring, "tool_result") == 0)
        n += content_bytes(cJSON_GetObjectItemCaseSensitive(block, "content"));
    return n;
}

static long long tokens_of_bytes(size_t n)
{
    long long t = (long long)(n / 4);
    return t < 1 ? 1 : t;
}

long long sim_estimate_input(const cJSON *root, sim_api api)
{
    long long total = 0;
    const cJSON *m;
    if (!cJSON_IsObject(root))
        return 0;
    if (api == SIM_API_ANTHROPIC) {
        const cJSON *sys = cJSON_GetObjectItemCaseSensitive(root, "system");
        if (sys && !cJSON_IsNull(sys))
            total += tokens_of_bytes(content_bytes(sys));
    }
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!cJSON_IsArray(msgs))
        return total;
    cJSON_ArrayForEach(m, msgs) {
        size_t n = content_bytes(cJSON_GetObjectItemCaseSensitive(m, "content"));
        const cJSON *rc = cJSON_GetObjectItemCaseSensitive(m, "reasoning_content");
        if (cJSON_IsString(rc))
            n += strlen(rc->valuestring);
        total += tokens_of_bytes(n) + 3;
    }
    return total;
}

/* ---- request → generation plan ------------------------------------------ */

static bool thinking_enabled(const cJSON *root)
{
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(root, "thinking");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(th, "type");
    return cJSON_IsString(type) && strcmp(type->valuestring, "enabled") == 0;
}

static long long max_tokens_of(const cJSON *root, sim_api api)
{
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "max_tokens");
    if (!cJSON_IsNumber(mt) && api == SIM_API_OPENAI)
        mt = cJSON_GetObjectItemCaseSensitive(root, "max_completion_tokens");
    if (!cJSON_IsNumber(mt) || mt->valuedouble < 0)
        return -1;
    return mt->valuedouble > 1e15 ? (long long)1e15 : (long long)mt->valuedouble;
}

static void make_id(sim_gen *g)
{
    char d[16];
    fmt_digits_utc8(g->created, d);
    if (g->api == SIM_API_OPENAI)
        snprintf(g->id, sizeof g->id, "%s%06" PRIx64, d, (g->hash >> 8) & 0xffffff);
    else
        snprintf(g->id, sizeof g->id, "msg_%s%04" PRIx64, d, (g->hash >> 8) & 0xffff);
}

/* The text seed covers only the seed, the model and the conversation
 * (ZAI-API.md §10.4), so a streamed and a non-streamed request with the same
 * messages generate the same words. */
static uint64_t text_seed(uint64_t seed, const cJSON *root)
{
    uint64_t h = fnv64_seed(seed);
    static const char *const keys[] = {"model", "system", "messages"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *json = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(root, keys[i]));
        if (json) {
            h = fnv64(h, json, strlen(json) + 1);
            cJSON_free(json);
        } else {
            h = fnv64(h, "", 1);
        }
    }
    return mix64(h);
}

void sim_gen_init(sim_gen *g, const sim_config *c, const sim_overrides *o, sim_api api,
                  const cJSON *root, uint64_t hash)
{
    memset(g, 0, sizeof *g);
    g->api = api;
    g->hash = hash;
    g->text_seed = text_seed(c->seed, root);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    snprintf(g->model, sizeof g->model, "%s",
             cJSON_IsString(model) && model->valuestring[0] ? model->valuestring : "glm-4.7");
    g->stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "stream"));
    g->thinking = thinking_enabled(root);

    long long out = o && o->output_tokens >= 0 ? o->output_tokens : c->output_tokens;
    long long max = max_tokens_of(root, api);
    g->cut = max >= 0 && max < out;
    g->n_out = g->cut ? max : out;
    g->n_reason = g->thinking ? g->n_out / 3 : 0;

    int usage = o && o->usage >= 0 ? o->usage : (int)c->usage;
    g->usage = usage == SIM_USAGE_ALWAYS;
    g->openai_usage = c->openai_usage;
    g->anthropic_usage = c->anthropic_usage;
    g->input_tokens = sim_estimate_input(root, api);
    g->cached_tokens = c->cached_tokens < g->input_tokens ? c->cached_tokens : g->input_tokens;
    g->created = created_of(hash);
    make_id(g);
}

void sim_gen_pos_init(sim_gen_pos *p, const sim_gen *g)
{
    p->step = 0;
    p->rng = g->text_seed ^ 0x9e3779b97f4a7c15ULL;
}

void sim_gen_put_words(sim_gen_pos *p, long long n, strbuf *out)
{
    strbuf_putc(out, '"');
    for (long long i = 0; i < n; i++)
        strbuf_puts(out, sim_gen_word(p));
    strbuf_putc(out, '"');
}

const char *sim_gen_word(sim_gen_pos *p)
{
    p->rng += 0x9e3779b97f4a7c15ULL;
    return words[mix64(p->rng) >> 58];
}
