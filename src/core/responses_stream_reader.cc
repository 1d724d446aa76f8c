#include "core/responses_stream_reader.h"
