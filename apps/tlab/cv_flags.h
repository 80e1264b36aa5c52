#pragma once
// The flags of cross-validation, shared by tlab cv and tlab select.
#include <CLI/CLI.hpp>

#include <string>

#include "tlab/select/cross_validate.h"

namespace tlab::app {

void add_cv_flags(CLI::App* c, select::CvOptions& cv);
// "fold 2/5: accuracy 0.9123  macro F1 0.9101  loss 0.2345  (12.3 s)"
std::string fold_line(const select::FoldScore& s, const select::FoldOptions& o);

}  // namespace tlab::app
