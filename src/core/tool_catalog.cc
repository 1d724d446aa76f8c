#include "core/tool_catalog.h"
