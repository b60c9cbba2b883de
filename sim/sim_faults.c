/* sim_faults: the failure vocabulary — scenario names (X-Sim-Scenario and
 * SIM_FAULT) and provider error bodies in Z.AI's real shapes (ZAI-API.md
 * §6.2). Every message carries the marker SIM_MARKER so tests can prove no
 * provider text ever reaches the proxy's logs. */
#include "sim_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const scenario_names[SIM_SC_COUNT] = {
    [SIM_SC_NONE] = "none",
    [SIM_SC_ERR_1302] = "err-1302",
    [SIM_SC_ERR_1303] = "err-1303",
    [SIM_SC_ERR_1305_503] = "err-1305-503",
    [SIM_SC_ERR_1308] = "err-1308",
    [SIM_SC_ERR_1310] = "err-1310",
    [SIM_SC_ERR_1312] = "err-1312",
    [SIM_SC_ERR_1113] = "err-1113",
    [SIM_SC_ERR_UNKNOWN_429] = "err-unknown-429",
    [SIM_SC_BARE_429] = "bare-429",
    [SIM_SC_ERR_500] = "err-500",
    [SIM_SC_ERR_502] = "err-502",
    [SIM_SC_ERR_503] = "err-503",
    [SIM_SC_ERR_529] = "err-529",
    [SIM_SC_EMPTY_200] = "empty-200",
    [SIM_SC_INVALID_JSON_200] = "invalid-json-200",
    [SIM_SC_TRUNCATED_JSON_200] = "truncated-json-200",
    [SIM_SC_EMPTY_STREAM] = "empty-stream",
    [SIM_SC_STREAM_ERROR_FIRST_EVENT] = "stream-error-first-event",
    [SIM_SC_STALL_MID_STREAM] = "stall-mid-stream",
    [SIM_SC_RESET_MID_STREAM] = "reset-mid-stream",
    [SIM_SC_NO_USAGE] = "no-usage",
    [SIM_SC_SLOW_TTFB] = "slow-ttfb",
    [SIM_SC_SLOW_HEADERS] = "slow-headers",
    [SIM_SC_BIG_ERROR_BODY] = "big-error-body",
};

bool sim_scenario_parse(const char *name, sim_scenario *out)
{
    *out = SIM_SC_NONE;
    if (!name || !*name)
        return true;
    for (int i = 0; i < SIM_SC_COUNT; i++) {
        if (strcasecmp(name, scenario_names[i]) == 0) {
            *out = (sim_scenario)i;
            return true;
        }
    }
    return false;
}

const char *sim_scenario_name(sim_scenario sc)
{
    return sc >= 0 && sc < SIM_SC_COUNT ? scenario_names[sc] : "none";
}

typedef struct code_text {
    const char *code;
    const char *text;
} code_text;

static const code_text texts[] = {
    {"1002", "Authorization Token is invalid or missing."},
    {"1113", "Insufficient balance or no resource package. Please recharge."},
    {"1214", "Invalid request: the body is not valid JSON."},
    {"1302", "High concurrency usage of this API, please reduce concurrency or contact customer service to increase limits."},
    {"1303", "High frequency usage of this API, please reduce frequency or contact customer service to increase limits."},
    {"1305", "The API has triggered a rate limit, the service may be temporarily overloaded, please try again later."},
    {"1312", "The model is currently busy due to high traffic, please try again later."},
    {"9999", "An unexpected error occurred."},
    {"404", "The requested resource was not found."},
    {"500", "Internal server error."},
    {"502", "Bad gateway."},
    {"503", "Service temporarily unavailable."},
    {"529", "The service is overloaded."},
};

void sim_error_message(const char *code, long long reset_s, strbuf *out)
{
    char stamp[24];
    if (strcmp(code, "1308") == 0 || strcmp(code, "1310") == 0) {
        sim_fmt_utc8(reset_s, stamp);
        strbuf_printf(out, "%s Your limit will reset at %s (%s)",
                      code[3] == '8' ? "Usage limit reached for 5 hour." : "Weekly/Monthly Limit Exhausted.",
                      stamp, SIM_MARKER);
        return;
    }
    const char *text = "Request failed.";
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (strcmp(texts[i].code, code) == 0)
            text = texts[i].text;
    strbuf_printf(out, "%s (%s)", text, SIM_MARKER);
}

/* `"code":"…","message":"…"` or `"type":"…","message":"…"`. */
static void put_inner(sim_api api, const char *code, const char *message, strbuf *out)
{
    strbuf_printf(out, "{\"%s\":", api == SIM_API_OPENAI ? "code" : "type");
    strbuf_json_str(out, code, strlen(code));
    strbuf_puts(out, ",\"message\":");
    strbuf_json_str(out, message, strlen(message));
    strbuf_putc(out, '}');
}

static void put_tail(sim_api api, const char *code, const char *message, uint64_t hash, strbuf *out)
{
    strbuf_puts(out, "\"error\":");
    put_inner(api, code, message, out);
    if (api == SIM_API_ANTHROPIC) {
        char rid[40];
        sim_request_id(hash, rid);
        strbuf_printf(out, ",\"request_id\":\"%s\"", rid);
    }
    strbuf_putc(out, '}');
}

void sim_error_body(sim_api api, const char *code, const char *message, uint64_t hash, strbuf *out)
{
    strbuf_puts(out, api == SIM_API_OPENAI ? "{" : "{\"type\":\"error\",");
    put_tail(api, code, message, hash, out);
}

void sim_error_event(sim_api api, const char *code, const char *message, strbuf *out)
{
    if (api == SIM_API_OPENAI) {
        strbuf_puts(out, "data: {\"error\":");
    } else {
        strbuf_puts(out, "event: error\ndata: {\"type\":\"error\",\"error\":");
    }
    put_inner(api, code, message, out);
    strbuf_puts(out, "}\n\n");
}

void sim_big_error_body(sim_api api, const char *code, uint64_t hash, size_t size,
                        size_t code_after, strbuf *out)
{
    const char *head = api == SIM_API_OPENAI ? "{\"padding\":\"" : "{\"type\":\"error\",\"padding\":\"";
    strbuf msg = STRBUF_INIT, tail = STRBUF_INIT;
    sim_error_message(code, 0, &msg);
    strbuf_puts(&tail, "\",");
    put_tail(api, code, msg.data ? msg.data : "", hash, &tail);
    size_t fixed = strlen(head) + tail.len;
    size_t pad = size > fixed ? size - fixed : 0;
    if (strlen(head) + pad < code_after)
        pad = code_after - strlen(head);
    strbuf_puts(out, head);
    if (strbuf_reserve(out, pad))
        for (size_t i = 0; i < pad; i++)
            strbuf_putc(out, (char)('a' + i % 26));
    strbuf_append(out, tail.data, tail.len);
    strbuf_free(&msg);
    strbuf_free(&tail);
}
