#include "run_flags.h"

#include <memory>

#include "feature_flags.h"
#include "progress.h"

namespace tlab::app {

namespace {

void add_data_flags(CLI::App* c, train::DataAndSplits& d) {
  c->add_option("--data", d.spec,
                "training data: fashion-mnist | mnist:DIR | idx:DIR | cifar10:DIR | cifar100:DIR | folder:DIR | DIR | "
                "csv:FILE (path,label lines)")
      ->capture_default_str();
  c->add_option("--val", d.val, "validation data spec (default: the data's own val split, else --val-split)");
  c->add_option("--val-split", d.val_split, "stratified fraction of the training data held out for validation")
      ->capture_default_str();
  c->add_option("--test", d.test, "test data spec (default: the data's own test split, else --test-split)");
  c->add_option("--test-split", d.test_split, "without test data: stratified fraction of the data held out as test")
      ->capture_default_str();
  c->add_flag("--strict-data", d.strict, "treat undecodable or non-image files in the data as errors");
}

void add_model_flags(CLI::App* c, train::ModelAndWeights& m) {
  c->add_option("--model", m.name, "architecture (see `tlab models`)")->capture_default_str();
  c->add_option("--weights", m.weights, "start from pretrained weights: imagenet | FILE (.pth, .safetensors) | none");
  c->add_option_function<std::string>(
      "--head", [&m](const std::string& spec) { m.head = models::HeadOptions::parse(spec); },
      "new head: gap|flatten[,WIDTH...][,dropout=P] (default with --weights: gap)");
  c->add_option("--image-size", m.image_size,
                "input side in pixels (0: the data's own size or the model's default; with --weights, the weights' "
                "resize + crop)")
      ->capture_default_str();
}

// classical: the pipeline's steps; the descriptors' own options are feature_flags.h's.
void add_classical_flags(CLI::App* c, features::ClassicalSpec& s) {
  c->add_option("--features", s.features,
                "classical: descriptors joined by '+': hog | lbp | sift-bow | color-hist | deep[:MODEL[:STAGE]] "
                "(a stage as tlab summary names it, pooled; needs --weights)")
      ->capture_default_str();
  add_hog_flags(*c, s.hog);
  add_lbp_flags(*c, s.lbp);
  add_sift_flags(*c, s.sift);
  add_color_hist_flags(*c, s.color);
  c->add_option("--select", s.select, "classical: none | kbest:K (SelectKBest, ANOVA F) | variance[:T] (VarianceThreshold)")
      ->capture_default_str();
  c->add_option("--standardize", s.standardize, "classical: StandardScaler after the selection")->capture_default_str();
  c->add_option("--reduce", s.reduce, "classical: none | pca:N | pca-whiten:N (after standardising)")
      ->capture_default_str();
  c->add_option("--classifier", s.classifier,
                "classical: svm-linear (LIBLINEAR, as LinearSVC) | svm-rbf (LIBSVM, as SVC) | knn | logistic")
      ->capture_default_str();
  c->add_option("--svm-c", s.svm_c, "classical SVMs: C")->capture_default_str();
  c->add_option("--svm-dual", s.svm_dual,
                "svm-linear: true (dual coordinate descent, LinearSVC's dual=True) | false (primal Newton) | auto "
                "(primal when samples outnumber features)")
      ->capture_default_str();
  c->add_option("--svm-gamma", s.svm_gamma, "svm-rbf: the RBF kernel's gamma (0: \"scale\", 1 / (features * variance))")
      ->capture_default_str();
  c->add_option("--knn-k", s.knn_k, "knn: neighbours that vote")->capture_default_str();
}

void add_strategy_flags(CLI::App* c, train::StrategyOptions& s) {
  c->add_option("--strategy", s.name,
                "scratch | linear-probe (logistic regression on frozen pretrained features) | feature-extract "
                "(frozen pretrained backbone, new head) | fine-tune (head warm-up, then "
                "the backbone at a lower LR) | distill (a student learns from --teacher) | classical (--features, --select, "
                "--reduce, --classifier: descriptors and a classical classifier)")
      ->capture_default_str();
  c->add_option("--feature-cache", s.feature_extract.cache,
                "feature-extract without augmentation: compute backbone features once (true) or every epoch")
      ->capture_default_str();
  c->add_option("--feature-views", s.feature_extract.views,
                "feature-extract with --augment: cache K augmented views per image (0: backbone every epoch)")
      ->capture_default_str();
  c->add_option("--probe-c", s.linear_probe.c, "linear-probe, classical --classifier logistic: inverse L2 strength (scikit-learn's C)")
      ->capture_default_str();
  add_classical_flags(c, s.classical);
  auto& f = s.fine_tune;
  c->add_option("--unfreeze", f.unfreeze, "fine-tune: all | N (the last N backbone stages; `tlab summary` lists them)")
      ->capture_default_str();
  c->add_option("--unfreeze-from", f.unfreeze_from, "fine-tune: the first backbone stage that trains, e.g. features.14");
  c->add_option("--head-epochs", f.head_epochs, "fine-tune: first epochs that train the head alone (-1: epochs / 4)")
      ->capture_default_str();
  c->add_option("--backbone-lr-scale", f.backbone_lr_scale, "fine-tune: backbone LR = --lr * this")
      ->capture_default_str();
  c->add_option("--layer-decay", f.layer_decay, "fine-tune: each earlier backbone stage's LR = the next one's * this")
      ->capture_default_str();
  c->add_option("--bn", f.bn, "fine-tune: BatchNorm statistics frozen | train")->capture_default_str();
  c->add_option("--teacher", s.distill.teacher, "distill: the teacher, RUN_DIR | CHECKPOINT.pt | MODEL:WEIGHTS_FILE");
  c->add_option("--temperature", s.distill.temperature, "distill: softmax temperature")->capture_default_str();
  c->add_option("--alpha", s.distill.alpha, "distill: weight of the teacher's term (1 - alpha: the labels')")
      ->capture_default_str();
}

void add_recipe_flags(CLI::App* c, train::Recipe& r) {
  c->add_option("--epochs", r.epochs, "full passes over the training data")->capture_default_str();
  c->add_option("--batch-size", r.batch_size, "training batch size")->capture_default_str();
  c->add_option("--eval-batch-size", r.eval_batch_size, "validation/test batch size")->capture_default_str();
  c->add_option("--optimizer", r.optimizer.name, "sgd | adam | adamw")->capture_default_str();
  c->add_option("--lr", r.optimizer.lr, "peak learning rate")->capture_default_str();
  c->add_option("--momentum", r.optimizer.momentum, "SGD momentum")->capture_default_str();
  c->add_flag("--nesterov", r.optimizer.nesterov, "Nesterov momentum (SGD)");
  c->add_option("--weight-decay", r.optimizer.weight_decay, "L2 (sgd, adam) or decoupled (adamw) weight decay")
      ->capture_default_str();
  c->add_option("--schedule", r.schedule.name, "LR schedule: constant | step | cosine | onecycle")
      ->capture_default_str();
  c->add_option("--warmup-epochs", r.schedule.warmup_epochs, "linear LR warm-up, in epochs (fractions allowed)")
      ->capture_default_str();
  c->add_option("--step-size", r.schedule.step_size, "step schedule: epochs between decays")->capture_default_str();
  c->add_option("--gamma", r.schedule.gamma, "step schedule: decay factor")->capture_default_str();
  c->add_option("--min-lr-fraction", r.schedule.min_lr_fraction, "cosine schedule: final LR / peak LR")
      ->capture_default_str();
  c->add_option("--pct-start", r.schedule.pct_start, "onecycle: fraction of the steps that raise the LR")
      ->capture_default_str();
  c->add_option("--div-factor", r.schedule.div_factor, "onecycle: peak LR / initial LR")->capture_default_str();
  c->add_option("--final-div-factor", r.schedule.final_div_factor, "onecycle: initial LR / final LR")
      ->capture_default_str();
  c->add_option("--monitor", r.early_stopping.monitor,
                "val_accuracy | val_loss: what the best checkpoint (and early stopping) follows")
      ->capture_default_str();
  c->add_option("--early-stopping", r.early_stopping.patience,
                "stop after PATIENCE epochs without improvement of --monitor, keeping the best weights (0: off)")
      ->capture_default_str();
  c->add_option("--min-delta", r.early_stopping.min_delta, "the least change of --monitor that counts as improvement")
      ->capture_default_str();
  c->add_option("--ema", r.ema_decay,
                "keep an exponential moving average of the weights with this decay (e.g. 0.999), validated and "
                "checkpointed (0: off)")
      ->capture_default_str();
  c->add_option("--label-smoothing", r.label_smoothing, "cross-entropy label smoothing")->capture_default_str();
  c->add_option("--seed", r.seed, "seed for initialisation, split and shuffling")->capture_default_str();
  c->add_option("--calibrate", r.calibrate,
                "fit temperature scaling on the validation split after training; predict, eval and serve use it")
      ->capture_default_str();
  c->add_option("--augment", r.augment, "augmentation: none | light | keras | strong | FILE.json (docs/AUGMENTATION.md)")
      ->capture_default_str();
}

void add_system_flags(CLI::App* c, train::SystemOptions& y) {
  c->add_option("--device", y.device, "auto | cpu | cuda[:N]")->capture_default_str();
  c->add_option("--threads", y.threads, "LibTorch threads (0: one per core)")->capture_default_str();
  c->add_option("--workers", y.workers, "data loader threads")->capture_default_str();
  c->add_option("--cache-mb", y.cache_mb,
                "memory for decoded images of image folders (0: decode every epoch) or cached features (beyond it: on "
                "disk), MiB")
      ->capture_default_str();
  c->add_option("--out", y.out, "run directory (default: runs/<model>-<timestamp>)");
}

}  // namespace

void add_run_flags(CLI::App* c, train::RunOptions& o) {
  add_data_flags(c, o.data);
  add_model_flags(c, o.model);
  add_strategy_flags(c, o.strategy);
  add_recipe_flags(c, o.recipe);
  add_system_flags(c, o.system);
}

train::TrainCallbacks progress_callbacks() {
  auto progress = std::make_shared<Progress>();
  return {[progress](const tlab::Progress& p) { progress->update(p); },
          [progress](const train::EpochRecord& r) { progress->epoch(r); }};
}

}  // namespace tlab::app
