#include "core/upstream_error.h"
