#include "core/message_accumulator.h"
