#include "cv_flags.h"

#include "tlab/core/error.h"

namespace tlab::app {

void add_cv_flags(CLI::App* c, select::CvOptions& cv) {
  c->add_option("--folds", cv.folds.folds, "stratified folds K (scikit-learn's StratifiedKFold assignment)")
      ->capture_default_str();
  c->add_option("--repeats", cv.folds.repeats, "repeat the K folds R times, reshuffled (RepeatedStratifiedKFold)")
      ->capture_default_str();
  c->add_option("--shuffle", cv.folds.shuffle, "shuffle each class's samples into folds, by --seed")
      ->capture_default_str();
  c->add_option("--share-features", cv.share_features,
                "linear-probe, feature-extract: compute the frozen backbone's features once for all folds")
      ->capture_default_str();
}

std::string fold_line(const select::FoldScore& s, const select::FoldOptions& o) {
  return str_cat("fold ", s.fold + 1, "/", o.folds, o.repeats > 1 ? str_cat(" (repeat ", s.repeat + 1, ")") : "",
                 ": accuracy ", s.accuracy, "  macro F1 ", s.macro_f1, "  loss ", s.loss, "  (", s.seconds, " s)");
}

}  // namespace tlab::app
