/* The ANN's fit (src/ann/fit.c) and prediction (src/ann/predict.c) share these. */
#ifndef STARBAK_INTERNAL_ANN_H
#define STARBAK_INTERNAL_ANN_H

#include "codelets/codelets.h"

enum { SBK_ANN_CHUNK = 256 }; /* rows of H formed at a time in the outer layer and in prediction */

#endif
