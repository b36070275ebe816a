/* A64 data processing (immediate and register). */
#include "cpu/internal.h"
#include "a64-decode.h"
