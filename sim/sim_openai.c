/* sim_openai: OpenAI-format answers as Z.AI writes them (ZAI-API.md §3):
 * the chat.completion JSON, and the SSE chunks without an `object` field whose
 * last content chunk carries finish_reason and usage (or OpenAI's separate
 * empty-choices usage chunk), ending with `data: [DONE]`. */
#include "sim_int.h"

#include <string.h>

static void put_usage(const sim_gen *g, strbuf *out)
{
    strbuf_printf(out,
                  "\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,\"total_tokens\":%lld,"
                  "\"prompt_tokens_details\":{\"cached_tokens\":%lld}}",
                  g->input_tokens, g->n_out, g->input_tokens + g->n_out, g->cached_tokens);
}

static const char *finish_reason(const sim_gen *g)
{
    return g->cut ? "length" : "stop";
}

/* `{"id":"…","created":…,"model":"…",` shared by the body and every chunk. */
static void put_head(const sim_gen *g, strbuf *out)
{
    strbuf_printf(out, "{\"id\":\"%s\",\"created\":%lld,\"model\":", g->id, g->created);
    strbuf_json_str(out, g->model, strlen(g->model));
    strbuf_putc(out, ',');
}

void sim_openai_json(const sim_gen *g, strbuf *out)
{
    sim_gen_pos p;
    sim_gen_pos_init(&p, g);
    put_head(g, out);
    strbuf_printf(out, "\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"finish_reason\":\"%s\","
                       "\"message\":{\"role\":\"assistant\",",
                  finish_reason(g));
    /* Words are drawn in stream order: reasoning first, then the answer. */
    strbuf reasoning = STRBUF_INIT;
    if (g->n_reason > 0)
        sim_gen_put_words(&p, g->n_reason, &reasoning);
    strbuf_puts(out, "\"content\":");
    sim_gen_put_words(&p, g->n_out - g->n_reason, out);
    if (g->n_reason > 0) {
        strbuf_puts(out, ",\"reasoning_content\":");
        strbuf_append(out, reasoning.data, reasoning.len);
    }
    strbuf_free(&reasoning);
    strbuf_puts(out, "}}]");
    if (g->usage) {
        strbuf_putc(out, ',');
        put_usage(g, out);
    }
    strbuf_putc(out, '}');
}

static void put_final(const sim_gen *g, strbuf *out)
{
    bool finish_usage = g->usage && g->openai_usage == SIM_OPENAI_USAGE_FINISH;
    strbuf_puts(out, "data: ");
    put_head(g, out);
    strbuf_printf(out, "\"choices\":[{\"index\":0,\"finish_reason\":\"%s\","
                       "\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]",
                  finish_reason(g));
    if (finish_usage) {
        strbuf_putc(out, ',');
        put_usage(g, out);
    }
    strbuf_puts(out, "}\n\n");
    if (g->usage && !finish_usage) {
        strbuf_puts(out, "data: ");
        put_head(g, out);
        strbuf_puts(out, "\"choices\":[],");
        put_usage(g, out);
        strbuf_puts(out, "}\n\n");
    }
    strbuf_puts(out, "data: [DONE]\n\n");
}

bool sim_openai_step(const sim_gen *g, sim_gen_pos *p, strbuf *out)
{
    if (p->step > g->n_out)
        return false;
    if (p->step == g->n_out) {
        put_final(g, out);
    } else {
        strbuf_puts(out, "data: ");
        put_head(g, out);
        strbuf_printf(out, "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"%s\":\"%s\"}}]}\n\n",
                      p->step < g->n_reason ? "reasoning_content" : "content", sim_gen_word(p));
    }
    p->step++;
    return true;
}
