/* A64 loads and stores. */
#include "cpu/internal.h"
#include "a64-decode.h"
