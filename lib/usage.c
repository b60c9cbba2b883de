/* usage: upstream token usage and output text from Z.AI responses (PROXY.md
 * §9.1-9.3). The streaming side wraps lib/sse: every dispatched event's data
 * is parsed with cJSON; events that are not JSON (the OpenAI "[DONE]"
 * sentinel, garbage) are skipped, so accounting can degrade but never fail
 * the relay. Usage values are kept already mapped to the four directions. */
#include "usage.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "strbuf.h"

struct usage_stream {
    usage_format fmt;
    sse_parser *sse;
    bool seen;          /* a usage object was seen */
    usage_counts counts;
    strbuf text;
    size_t dropped;     /* text bytes beyond USAGE_TEXT_CAP or lost to OOM */
};

/* Reads a non-negative token count; null, strings and other types count as
 * absent. Values beyond what a long long holds are clamped. */
static bool usage_field(const cJSON *obj, const char *name, long long *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(it))
        return false;
    double v = it->valuedouble;
    if (!(v > 0))
        *out = 0;
    else if (v >= 9.0e18)
        *out = 9000000000000000000LL;
    else
        *out = (long long)v;
    return true;
}

/* OpenAI usage replaces everything seen before: prompt_tokens includes the
 * cached tokens, which move to cache_read. */
static void usage_apply_openai(const cJSON *u, usage_counts *c)
{
    long long p = 0, k = 0;
    memset(c, 0, sizeof *c);
    c->has_input = usage_field(u, "prompt_tokens", &p);
    c->has_output = usage_field(u, "completion_tokens", &c->output);
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens_details");
    if (cJSON_IsObject(details))
        usage_field(details, "cached_tokens", &k);
    c->input = p > k ? p - k : 0;
    c->cache_read = k;
    c->has_cache_read = c->has_input;
    c->has_cache_write = c->has_input;
}

/* Anthropic usage overwrites only the fields it carries: message_delta
 * values are cumulative and some senders repeat only output_tokens. */
static void usage_apply_anthropic(const cJSON *u, usage_counts *c)
{
    long long v;
    if (usage_field(u, "input_tokens", &v)) {
        c->input = v;
        c->has_input = true;
    }
    if (usage_field(u, "output_tokens", &v)) {
        c->output = v;
        c->has_output = true;
    }
    if (usage_field(u, "cache_read_input_tokens", &v)) {
        c->cache_read = v;
        c->has_cache_read = true;
    }
    if (usage_field(u, "cache_creation_input_tokens", &v)) {
        c->cache_write = v;
        c->has_cache_write = true;
    }
}

static void usage_apply(usage_format f, const cJSON *u, usage_counts *c)
{
    if (f == USAGE_OPENAI)
        usage_apply_openai(u, c);
    else
        usage_apply_anthropic(u, c);
}

static bool usage_reported(bool seen, const usage_counts *c)
{
    return seen && c->input + c->output > 0;
}

bool usage_from_json(usage_format f, const char *body, size_t len, usage_counts *out)
{
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root)
        return false;
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");
    bool seen = cJSON_IsObject(u);
    if (seen)
        usage_apply(f, u, out);
    cJSON_Delete(root);
    return usage_reported(seen, out);
}

static void usage_text_add(usage_stream *s, const char *p, size_t n)
{
    size_t room = USAGE_TEXT_CAP - s->text.len;
    size_t keep = n < room ? n : room;
    size_t before = s->text.len;
    strbuf_append(&s->text, p, keep);
    s->dropped += n - (s->text.len - before);
}

/* Appends obj[name] when it is a non-empty string. */
static void usage_text_field(usage_stream *s, const cJSON *obj, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsString(it) && it->valuestring[0])
        usage_text_add(s, it->valuestring, strlen(it->valuestring));
}

static void usage_openai_delta(usage_stream *s, const cJSON *delta)
{
    const cJSON *call;
    usage_text_field(s, delta, "reasoning_content");
    usage_text_field(s, delta, "content");
    cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(delta, "tool_calls")) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
        if (cJSON_IsObject(fn))
            usage_text_field(s, fn, "arguments");
    }
}

static void usage_openai_event(usage_stream *s, const cJSON *root)
{
    const cJSON *choice;
    cJSON_ArrayForEach(choice, cJSON_GetObjectItemCaseSensitive(root, "choices")) {
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
        if (cJSON_IsObject(delta))
            usage_openai_delta(s, delta);
    }
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsObject(u)) {
        usage_apply_openai(u, &s->counts);
        s->seen = true;
    }
}

static void usage_anthropic_usage(usage_stream *s, const cJSON *u)
{
    if (!cJSON_IsObject(u))
        return;
    usage_apply_anthropic(u, &s->counts);
    s->seen = true;
}

/* The JSON `type` names the event; the SSE event name is the fallback. */
static void usage_anthropic_event(usage_stream *s, const char *event, const cJSON *root)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "type");
    const char *type = cJSON_IsString(t) ? t->valuestring : event;

    if (strcmp(type, "message_start") == 0) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
        usage_anthropic_usage(s, cJSON_GetObjectItemCaseSensitive(msg, "usage"));
    } else if (strcmp(type, "message_delta") == 0) {
        usage_anthropic_usage(s, cJSON_GetObjectItemCaseSensitive(root, "usage"));
    } else if (strcmp(type, "content_block_delta") == 0) {
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(root, "delta");
        usage_text_field(s, delta, "text");
        usage_text_field(s, delta, "thinking");
        usage_text_field(s, delta, "partial_json");
    }
}

static bool usage_on_event(void *ctx, const char *event, size_t event_len,
                           const char *data, size_t data_len)
{
    usage_stream *s = ctx;
    (void)event_len;
    cJSON *root = cJSON_ParseWithLength(data, data_len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return true;
    }
    if (s->fmt == USAGE_OPENAI)
        usage_openai_event(s, root);
    else
        usage_anthropic_event(s, event, root);
    cJSON_Delete(root);
    return true;
}

usage_stream *usage_stream_new(usage_format f)
{
    usage_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fmt = f;
    s->sse = sse_new(0, 0, usage_on_event, s);
    if (!s->sse) {
        free(s);
        return NULL;
    }
    return s;
}

void usage_stream_free(usage_stream *s)
{
    if (!s)
        return;
    sse_free(s->sse);
    strbuf_free(&s->text);
    free(s);
}

void usage_stream_feed(usage_stream *s, const char *buf, size_t len)
{
    sse_feed(s->sse, buf, len);
}

bool usage_stream_overflowed(const usage_stream *s)
{
    return sse_stopped(s->sse);
}

bool usage_stream_result(const usage_stream *s, usage_counts *out)
{
    if (usage_stream_overflowed(s)) {
        memset(out, 0, sizeof *out);
        return false;
    }
    *out = s->counts;
    return usage_reported(s->seen, out);
}

const char *usage_stream_text(const usage_stream *s, size_t *len, size_t *dropped_bytes)
{
    *len = s->text.len;
    *dropped_bytes = s->dropped;
    return s->text.data ? s->text.data : "";
}
