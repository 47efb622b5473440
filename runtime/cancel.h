/* The cancellation flag's reset: plain host code (no StarPU), as the file
 * writers, which check sbk_cancelled, are built without StarPU in the fuzzers. */
#ifndef STARBAK_INTERNAL_CANCEL_H
#define STARBAK_INTERNAL_CANCEL_H

/* sbk_init's: a new run is not cancelled. */
void sbk_cancel_clear(void);

#endif
