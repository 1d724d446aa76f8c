#include "core/api_error.h"
