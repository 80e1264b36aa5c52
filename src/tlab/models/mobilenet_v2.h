#pragma once
// torchvision's mobilenet_v2 architectures with its exact module names (see docs/DESIGN.md).
#include "tlab/models/model.h"

namespace tlab::models {}  // namespace tlab::models
