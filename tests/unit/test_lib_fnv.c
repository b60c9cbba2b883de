/* Tests for lib/fnv.h: the FNV-1a 32-bit vectors and source buckets of
 * PROXY.md §6.6. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fnv.h"

static const struct {
    const char *in;
    uint32_t hash;
    unsigned bucket;
} vectors[] = {
    {"unknown", 0x9b759fb9u, 57},
    {"10.42.0.7", 0x90cee9e1u, 33},
    {"10.42.0.8", 0x89cededcu, 28},
    {"10.42.0.9", 0x8acee06fu, 47},
    {"192.0.2.1", 0x05ecbdd8u, 24},
    {"127.0.0.1", 0x08a3d11eu, 30},
    {"fd00::1", 0x9954580au, 10},
    {"malformed-peer", 0x53b56685u, 5},
    {"::1", 0x15bec48cu, 12},
};

static void test_spec_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        uint32_t h = fnv1a32(vectors[i].in, strlen(vectors[i].in));
        assert_int_equal(h, vectors[i].hash);
        assert_int_equal(h % 64, vectors[i].bucket);
    }
}

static void test_basis_and_bytes(void **state)
{
    (void)state;
    assert_int_equal(fnv1a32("", 0), 0x811c9dc5u); /* offset basis */
    assert_int_equal(fnv1a32("a", 1), 0xe40c292cu);
    /* bytes >= 0x80 are hashed unsigned */
    assert_int_equal(fnv1a32("\xff", 1), (0x811c9dc5u ^ 0xffu) * 0x01000193u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_vectors),
        cmocka_unit_test(test_basis_and_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
