#include "core/anthropic_sse_writer.h"
