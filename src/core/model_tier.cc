#include "core/model_tier.h"
