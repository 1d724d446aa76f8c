#include "core/reasoning_signature.h"
