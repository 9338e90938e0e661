/*
 * test-evbuffer-model.c: randomised operation sequences on evbuffers,
 * checked step by step against flat reference buffers
 * (support/evbuffer-model.h).
 *
 * Every sequence has its own seed, derived from the sequence number, so a
 * failure names the seed and can be replayed alone:
 *     EVBUFFER_MODEL_SEED=<seed> ./test-evbuffer-model --filter 'model/replay'
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "evbuffer-model.h"

#define SEQUENCES_PER_TEST 2500
#define STEPS_PER_SEQUENCE 80

static void
run_sequence(uint64_t seed, int steps)
{
	struct mstate st;
	struct msrc s = { .state = seed };

	cr_assert_eq(mstate_init(&st), 0, "setting up the buffers failed");
	for (int i = 0; i < steps; i++) {
		if (mstep(&st, &s) != 0)
			cr_assert_fail("seed %llu: %s", (unsigned long long)seed, st.err);
	}
	if (mstate_fini(&st) != 0)
		cr_assert_fail("seed %llu: %s", (unsigned long long)seed, st.err);
}

static void
run_block(int block)
{
	for (int i = 0; i < SEQUENCES_PER_TEST; i++)
		run_sequence(0x5eed0000ULL + (uint64_t)block * SEQUENCES_PER_TEST + i,
		    STEPS_PER_SEQUENCE);
}

Test(model, block0, .timeout = 60) { run_block(0); }
Test(model, block1, .timeout = 60) { run_block(1); }
Test(model, block2, .timeout = 60) { run_block(2); }
Test(model, block3, .timeout = 60) { run_block(3); }

/* Long sequences reach states (many chains, views, empties) short ones
 * rarely do. */
Test(model, long_sequences, .timeout = 60)
{
	for (int i = 0; i < 100; i++)
		run_sequence(0x1096000ULL + i, 2000);
}

Test(model, replay, .timeout = 60)
{
	const char *env = getenv("EVBUFFER_MODEL_SEED");

	if (!env)
		return; /* nothing to replay */
	run_sequence(strtoull(env, NULL, 0), STEPS_PER_SEQUENCE);
}
