#include "harness.h"
#include "vrt/arena.h"
#include "vrt/core.h"

TEST(alloc_aligns_and_fills_exactly) {
    vrt_arena_t *a = NULL;
    ASSERT_STATUS(vrt_arena_create(&a, 0), VRT_EINVAL);
    ASSERT_TRUE(a == NULL);
    ASSERT_OK(vrt_arena_create(&a, 1024));
    ASSERT_EQ(vrt_arena_capacity(a), 1024);
    ASSERT_EQ(vrt_arena_used(a), 0);

    unsigned char *p1 = vrt_arena_alloc(a, 3, 1);
    ASSERT_TRUE(p1 != NULL);
    ASSERT_EQ((uintptr_t)p1 % VRT_ARENA_ALIGN, 0); /* the block itself starts aligned */
    ASSERT_EQ(vrt_arena_used(a), 3);
    unsigned char *p2 = vrt_arena_alloc(a, 8, 8);
    ASSERT_EQ((uintptr_t)p2 % 8, 0);
    ASSERT_TRUE(p2 == p1 + 8); /* 5 bytes of padding */
    ASSERT_EQ(vrt_arena_used(a), 16);
    unsigned char *p3 = vrt_arena_alloc(a, 1, 0); /* default alignment */
    ASSERT_EQ((uintptr_t)p3 % VRT_ARENA_ALIGN, 0);
    ASSERT_TRUE(p3 == p1 + 64);
    unsigned char *p4 = vrt_arena_alloc(a, 10, 256); /* above the block's own alignment */
    ASSERT_EQ((uintptr_t)p4 % 256, 0);
    /* The first 256-aligned address after p3's byte; the block is only 64-aligned. */
    ASSERT_EQ((uintptr_t)p4, ((uintptr_t)(p3 + 1) + 255) & ~(uintptr_t)255);
    ASSERT_TRUE(vrt_arena_alloc(a, 4, 3) == NULL); /* not a power of two */
    ASSERT_EQ(vrt_arena_used(a), (size_t)(p4 - p1) + 10);

    /* Writes through every pointer stay inside the block (ASan would catch otherwise). */
    memset(p1, 1, 3);
    memset(p2, 2, 8);
    memset(p4, 4, 10);
    ASSERT_EQ(p1[2], 1);
    ASSERT_EQ(p2[0], 2);

    /* Fill exactly to the end, then one byte more fails and changes nothing. */
    size_t rest = 1024 - vrt_arena_used(a);
    unsigned char *last = vrt_arena_alloc(a, rest, 1);
    ASSERT_TRUE(last != NULL);
    memset(last, 9, rest);
    ASSERT_EQ(vrt_arena_used(a), 1024);
    ASSERT_TRUE(vrt_arena_alloc(a, 1, 1) == NULL);
    ASSERT_TRUE(vrt_arena_alloc(a, (size_t)-1, 1) == NULL); /* no overflow in the check */
    ASSERT_EQ(vrt_arena_used(a), 1024);
    ASSERT_EQ(vrt_arena_high_water(a), 1024);
    void *z = vrt_arena_alloc(a, 0, 1); /* size 0 at the very end is still fine */
    ASSERT_TRUE(z != NULL);

    vrt_arena_destroy(&a);
    ASSERT_TRUE(a == NULL);
    vrt_arena_destroy(&a);
}

TEST(reset_rewind_and_high_water) {
    vrt_arena_t *a;
    ASSERT_OK(vrt_arena_create(&a, 4096));
    void *first = vrt_arena_alloc(a, 100, 16);
    size_t m = vrt_arena_mark(a);
    ASSERT_EQ(m, 100);
    void *second = vrt_arena_alloc(a, 1000, 16);
    ASSERT_TRUE(second != NULL);
    ASSERT_EQ(vrt_arena_used(a), 112 + 1000);
    vrt_arena_rewind(a, m);
    ASSERT_EQ(vrt_arena_used(a), 100);
    ASSERT_TRUE(vrt_arena_alloc(a, 1000, 16) == second); /* same plan, same addresses */
    vrt_arena_rewind(a, 5000);                           /* beyond the current offset: ignored */
    ASSERT_EQ(vrt_arena_used(a), 1112);
    vrt_arena_reset(a);
    ASSERT_EQ(vrt_arena_used(a), 0);
    ASSERT_EQ(vrt_arena_high_water(a), 1112);
    ASSERT_TRUE(vrt_arena_alloc(a, 10, 16) == first);
    ASSERT_EQ(vrt_arena_high_water(a), 1112);
    vrt_arena_destroy(&a);
}

TEST(one_allocation_at_create_none_after) {
    vrt_alloc_counting_begin();
    vrt_arena_t *a = NULL;
    vrt_alloc_counting_fail_at(2); /* the block */
    ASSERT_STATUS(vrt_arena_create(&a, 1 << 20), VRT_ENOMEM);
    ASSERT_TRUE(a == NULL);
    ASSERT_EQ(vrt_alloc_counting_stats().frees, 1); /* the handle was given back */
    vrt_alloc_counting_fail_at(0);
    ASSERT_OK(vrt_arena_create(&a, 1 << 20));
    uint64_t n = vrt_alloc_counting_stats().allocs;
    for (int i = 0; i < 1000; i++)
        ASSERT_TRUE(vrt_arena_alloc(a, 1000, 32) != NULL);
    vrt_arena_reset(a);
    ASSERT_EQ(vrt_alloc_counting_stats().allocs, n);
    vrt_arena_destroy(&a);
    ASSERT_EQ(vrt_alloc_counting_stats().frees, 3);
    vrt_alloc_counting_end();
}

int main(void) {
    VRT_RUN(alloc_aligns_and_fills_exactly);
    VRT_RUN(reset_rewind_and_high_water);
    VRT_RUN(one_allocation_at_create_none_after);
    return vrt_test_finish();
}
