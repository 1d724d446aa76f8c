#include "core/identity_rewrite.h"
