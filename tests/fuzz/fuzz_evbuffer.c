/*
 * fuzz_evbuffer.c: libFuzzer target.  The input chooses a sequence of
 * evbuffer operations (support/evbuffer-model.h); each is applied to real
 * evbuffers and to flat reference buffers, and any disagreement, crash or
 * sanitizer report is a finding.
 *
 * Build: cmake -DENGINE_FUZZ=ON -DENGINE_ASAN=ON -DCMAKE_C_COMPILER=clang
 * Run:   build/tests/fuzz_evbuffer -max_len=4096 NEW_DIR tests/fuzz/corpus/evbuffer
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "evbuffer-model.h"

#define MAX_STEPS 200

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mstate st;
	struct msrc s = { .data = data, .size = size };

	if (mstate_init(&st) != 0)
		abort();
	for (int i = 0; i < MAX_STEPS && !msrc_done(&s); i++) {
		if (mstep(&st, &s) != 0) {
			fprintf(stderr, "fuzz_evbuffer: %s\n", st.err);
			abort();
		}
	}
	if (mstate_fini(&st) != 0) {
		fprintf(stderr, "fuzz_evbuffer: %s\n", st.err);
		abort();
	}
	return 0;
}
