#include "core/request_translator.h"
