#include "core/stream_translator.h"
