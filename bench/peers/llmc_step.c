/*
 * llm.c's training step as a shared library, so that bench/peers/PairedStep.java can alternate it with likra's steps in
 * one process (both then see the same state of a shared machine). This file holds no llm.c code: it includes the
 * train_gpt2.c of your own llm.c copy at build time (bench/peers/paired_step.sh does this), renames its main away, and
 * adds two entry points:
 *
 *   int   llmc_load(const char *checkpoint)                              vocabulary size of the loaded model
 *   float llmc_step(const int *inputs, const int *targets, int B, int T, int step)
 *                                                                        forward, zero_grad, backward, AdamW
 *
 * Build: gcc -Ofast -march=native -fopenmp -shared -fPIC -fvisibility=hidden -I$LLMC_DIR -o libllmc_step.so
 *        bench/peers/llmc_step.c -lm
 * (-fvisibility=hidden keeps llm.c's functions internal to the library, so that GCC may optimise across them as in
 * the train_gpt2 executable. The library's step still measured 0-15% slower than that executable in alternated runs
 * on a noisy 2-vCPU machine: see docs/performance.md, "Against llm.c".)
 *
 * Floating-point mode: an executable built with -Ofast starts with denormals flushed to zero (FTZ and DAZ in MXCSR,
 * set by crtfastmath.o); a shared library does not get that start-up code, and the JVM runs with IEEE denormals.
 * So each step sets FTZ and DAZ on every thread of llm.c's OpenMP team for its duration and restores the calling
 * thread's mode after it, as train_gpt2 itself runs. (Without it, llm.c's random gpt2-M checkpoint reached a NaN
 * loss at its second step on some batches, and gpt2_backward exited.)
 */
#define main llmc_train_gpt2_main
#include "train_gpt2.c"
#undef main

#include <xmmintrin.h>

#define FTZ_DAZ 0x8040

static GPT2 llmc_model;

__attribute__((visibility("default"))) int llmc_load(const char *checkpoint) {
    gpt2_build_from_checkpoint(&llmc_model, (char *) checkpoint);
    return llmc_model.config.vocab_size;
}

/* One training step as train_gpt2.c's main does it (learning rate 1e-4, AdamW 0.9 / 0.999, eps 1e-8, no weight
 * decay); returns the step's mean loss. step counts from 1. */
__attribute__((visibility("default"))) float llmc_step(const int *inputs, const int *targets, int B, int T, int step) {
    unsigned int caller = _mm_getcsr();
    #pragma omp parallel
    {
        _mm_setcsr(caller | FTZ_DAZ);
    }
    gpt2_forward(&llmc_model, (int *) inputs, (int *) targets, B, T);
    gpt2_zero_grad(&llmc_model);
    gpt2_backward(&llmc_model);
    gpt2_update(&llmc_model, 1e-4f, 0.9f, 0.999f, 1e-8f, 0.0f, step);
    _mm_setcsr(caller);
    return llmc_model.mean_loss;
}
