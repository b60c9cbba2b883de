/* sim_anthropic: Anthropic Messages answers (ZAI-API.md §4): the message JSON
 * and the full SSE sequence — message_start, per block content_block_start /
 * _delta / _stop, a ping, message_delta with cumulative usage in variant A, B
 * or C, message_stop. Anthropic's input_tokens exclude cache reads. */
#include "sim_int.h"

#include <string.h>

static long long uncached(const sim_gen *g)
{
    return g->input_tokens - g->cached_tokens;
}

static void put_usage_full(long long in, long long out_tokens, long long cached, strbuf *out)
{
    strbuf_printf(out,
                  "\"usage\":{\"input_tokens\":%lld,\"output_tokens\":%lld,"
                  "\"cache_read_input_tokens\":%lld,\"cache_creation_input_tokens\":0}",
                  in, out_tokens, cached);
}

static const char *stop_reason(const sim_gen *g)
{
    return g->cut ? "max_tokens" : "end_turn";
}

void sim_anthropic_json(const sim_gen *g, strbuf *out)
{
    sim_gen_pos p;
    sim_gen_pos_init(&p, g);
    strbuf_printf(out, "{\"id\":\"%s\",\"type\":\"message\",\"role\":\"assistant\",\"model\":", g->id);
    strbuf_json_str(out, g->model, strlen(g->model));
    strbuf_puts(out, ",\"content\":[");
    if (g->n_reason > 0) {
        strbuf_puts(out, "{\"type\":\"thinking\",\"thinking\":");
        sim_gen_put_words(&p, g->n_reason, out);
        strbuf_puts(out, "},");
    }
    strbuf_puts(out, "{\"type\":\"text\",\"text\":");
    sim_gen_put_words(&p, g->n_out - g->n_reason, out);
    strbuf_printf(out, "}],\"stop_reason\":\"%s\",\"stop_sequence\":null", stop_reason(g));
    if (g->usage) {
        strbuf_putc(out, ',');
        put_usage_full(uncached(g), g->n_out, g->cached_tokens, out);
    }
    strbuf_putc(out, '}');
}

static void event(strbuf *out, const char *type)
{
    strbuf_printf(out, "event: %s\ndata: {\"type\":\"%s\"", type, type);
}

static void put_message_start(const sim_gen *g, strbuf *out)
{
    event(out, "message_start");
    strbuf_printf(out, ",\"message\":{\"id\":\"%s\",\"type\":\"message\",\"role\":\"assistant\",\"model\":", g->id);
    strbuf_json_str(out, g->model, strlen(g->model));
    strbuf_puts(out, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null");
    if (g->usage) {
        strbuf_putc(out, ',');
        if (g->anthropic_usage == SIM_ANTHROPIC_USAGE_B)
            put_usage_full(0, 0, 0, out);
        else
            put_usage_full(uncached(g), 0, g->cached_tokens, out);
    }
    strbuf_puts(out, "}}\n\n");
}

static void put_block_start(long long index, bool thinking, strbuf *out)
{
    event(out, "content_block_start");
    if (thinking)
        strbuf_printf(out, ",\"index\":%lld,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n", index);
    else
        strbuf_printf(out, ",\"index\":%lld,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n", index);
}

static void put_block_stop(long long index, strbuf *out)
{
    event(out, "content_block_stop");
    strbuf_printf(out, ",\"index\":%lld}\n\n", index);
}

static void put_ping(strbuf *out)
{
    event(out, "ping");
    strbuf_puts(out, "}\n\n");
}

static void put_final(const sim_gen *g, strbuf *out)
{
    if (g->n_out == 0) {
        put_message_start(g, out);
        put_ping(out);
    } else {
        put_block_stop(g->n_reason > 0 ? 1 : 0, out);
    }
    event(out, "message_delta");
    strbuf_printf(out, ",\"delta\":{\"stop_reason\":\"%s\",\"stop_sequence\":null}", stop_reason(g));
    if (g->usage) {
        if (g->anthropic_usage == SIM_ANTHROPIC_USAGE_A)
            strbuf_printf(out, ",\"usage\":{\"output_tokens\":%lld}", g->n_out);
        else {
            strbuf_putc(out, ',');
            put_usage_full(uncached(g), g->n_out, g->cached_tokens, out);
        }
    }
    strbuf_puts(out, "}\n\n");
    event(out, "message_stop");
    strbuf_puts(out, "}\n\n");
}

bool sim_anthropic_step(const sim_gen *g, sim_gen_pos *p, strbuf *out)
{
    long long k = p->step;
    if (k > g->n_out)
        return false;
    if (k == g->n_out) {
        put_final(g, out);
        p->step++;
        return true;
    }
    bool reasoning = k < g->n_reason;
    if (k == 0) {
        put_message_start(g, out);
        put_block_start(0, reasoning, out);
        put_ping(out);
    } else if (k == g->n_reason) {
        put_block_stop(0, out);
        put_block_start(1, false, out);
    }
    long long index = reasoning || g->n_reason == 0 ? 0 : 1;
    event(out, "content_block_delta");
    strbuf_printf(out, ",\"index\":%lld,\"delta\":{\"type\":\"%s\",\"%s\":\"%s\"}}\n\n", index,
                  reasoning ? "thinking_delta" : "text_delta", reasoning ? "thinking" : "text",
                  sim_gen_word(p));
    p->step++;
    return true;
}
