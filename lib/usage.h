/* usage: extracts upstream token usage from Z.AI responses (PROXY.md §9.1-9.3,
 * ZAI-API.md §5), both from a buffered JSON body and incrementally from the
 * relayed SSE bytes, and collects the output text needed for the estimate
 * fallback. It never fails its caller: malformed JSON degrades to "usage not
 * reported". Counts are mapped to the proxy's four directions so that each
 * token lands in exactly one of them. */
#ifndef ZAI_USAGE_H
#define ZAI_USAGE_H

#include <stdbool.h>
#include <stddef.h>

/* Output text kept per stream for the estimate; further bytes are counted. */
#define USAGE_TEXT_CAP (8u << 20)

typedef enum { USAGE_OPENAI, USAGE_ANTHROPIC } usage_format;

/* The has_ flags say which directions the upstream reported (OpenAI: input,
 * cache_read and cache_write follow prompt_tokens, output follows
 * completion_tokens; Anthropic: each follows its own field). */
typedef struct usage_counts {
    long long input, output, cache_read, cache_write;
    bool has_input, has_output, has_cache_read, has_cache_write;
} usage_counts;

/* Non-streaming body: fills *out from the top-level `usage` object (all zero
 * when absent or when the body is not JSON). Returns true when usage is
 * reported: the object is present and input + output > 0. */
bool usage_from_json(usage_format f, const char *body, size_t len, usage_counts *out);

typedef struct usage_stream usage_stream;

/* An accumulator fed with the relayed SSE bytes in any chunking. NULL on
 * allocation failure. */
usage_stream *usage_stream_new(usage_format f);
void usage_stream_free(usage_stream *s);
void usage_stream_feed(usage_stream *s, const char *buf, size_t len);
/* Fills *out with the usage seen so far (OpenAI: the last non-null `usage`
 * object; Anthropic: per field, the last message_delta carrying it, else
 * message_start). Returns true when reported (input + output > 0). After an
 * SSE overflow nothing is reported: *out is all zero and false is returned. */
bool usage_stream_result(const usage_stream *s, usage_counts *out);
/* True once the SSE parser has stopped (line/event bound exceeded or out of
 * memory); the caller logs it once. */
bool usage_stream_overflowed(const usage_stream *s);
/* The collected output text (OpenAI delta content, reasoning_content and
 * tool-call arguments; Anthropic text, thinking and partial_json deltas),
 * at most USAGE_TEXT_CAP bytes; *dropped_bytes counts what did not fit.
 * NUL-terminated, never NULL. */
const char *usage_stream_text(const usage_stream *s, size_t *len, size_t *dropped_bytes);

#endif
