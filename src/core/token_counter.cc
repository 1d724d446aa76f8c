#include "core/token_counter.h"
