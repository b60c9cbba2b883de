/* zai_streams: the example streams of ZAI-API.md §3.3 (OpenAI format, usage
 * on the finish chunk) and §4.3 (Anthropic format), shared by the tests of
 * the SSE parser and of usage extraction so both run on the same bytes. */
#ifndef ZAI_TEST_ZAI_STREAMS_H
#define ZAI_TEST_ZAI_STREAMS_H

/* ZAI-API.md §3.3 */
static const char openai_stream[] =
    "data: {\"id\":\"20261124100000a1b2c3\",\"created\":1763978400,\"model\":\"glm-4.7\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"Greeting.\"}}]}\n"
    "\n"
    "data: {\"id\":\"20261124100000a1b2c3\",\"created\":1763978400,\"model\":\"glm-4.7\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n"
    "\n"
    "data: {\"id\":\"20261124100000a1b2c3\",\"created\":1763978400,\"model\":\"glm-4.7\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"lo!\"}}]}\n"
    "\n"
    "data: {\"id\":\"20261124100000a1b2c3\",\"created\":1763978400,\"model\":\"glm-4.7\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":{\"prompt_tokens\":14,\"completion_tokens\":5,\"total_tokens\":19,\"prompt_tokens_details\":{\"cached_tokens\":0}}}\n"
    "\n"
    "data: [DONE]\n"
    "\n";

/* ZAI-API.md §4.3 */
static const char anthropic_stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_20261124100000a1b2\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"glm-4.7\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":14,\"output_tokens\":0,\"cache_read_input_tokens\":0}}}\n"
    "\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n"
    "\n"
    "event: ping\n"
    "data: {\"type\":\"ping\"}\n"
    "\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n"
    "\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo!\"}}\n"
    "\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n"
    "\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":14,\"output_tokens\":5,\"cache_read_input_tokens\":0}}\n"
    "\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n"
    "\n";

#endif
