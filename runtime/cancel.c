/* The flag sbk_cancel sets: plain host code, so that the file writers (built
 * without StarPU in the fuzzers) can see it too. */
#include <signal.h>
#include <starbak/starbak.h>
#include "runtime/cancel.h"

static volatile sig_atomic_t cancel_requested;

void sbk_cancel(void) { cancel_requested = 1; }

int sbk_cancelled(void) { return cancel_requested; }

void sbk_cancel_clear(void) { cancel_requested = 0; }
