/* fuzz_zaierr: libFuzzer entry point for the Z.AI error classifier, which
 * parses untrusted upstream bytes. Besides memory safety it checks the
 * classifier's output invariants and that the derived headers stay within
 * their buffers. Built only with ZAI_FUZZ=ON and clang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "zaierr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zai_error e;
    zaierr_classify(data, size, size > ZAIERR_BODY_MAX, &e);
    if (e.has_code && (e.code < 0 || e.code > 99999999))
        abort();
    if (!e.has_code && e.cls != ZAI_UNKNOWN)
        abort();
    if (e.has_code && e.cls != zaierr_class_of_code(e.code))
        abort();
    if (e.has_reset && (e.reset_at < 1000000000LL || e.reset_at > 20000000000LL))
        abort();
    if (e.has_retry_after && !(e.retry_after > 0 && e.retry_after <= 604800))
        abort();
    char label[8];
    zaierr_code_label(&e, label);
    zaierr_header h[ZAIERR_MAX_HEADERS];
    int64_t now = size >= 8 ? (int64_t)(((uint64_t)data[0] << 56) | ((uint64_t)data[1] << 48) |
                                        ((uint64_t)data[2] << 40) | ((uint64_t)data[3] << 32) |
                                        ((uint64_t)data[4] << 24) | ((uint64_t)data[5] << 16) |
                                        ((uint64_t)data[6] << 8) | data[7])
                            : 0;
    if (zaierr_final_headers(429, &e, size & 1, now, h) > ZAIERR_MAX_HEADERS)
        abort();
    return 0;
}
