#include "tlab/train/optim.h"

#include "../test_util.h"

namespace tlab::test {
namespace {

TEST(Schedule, ConstantWithLinearWarmup) {
  train::ScheduleOptions s;
  s.warmup_epochs = 1;
  EXPECT_DOUBLE_EQ(train::scheduled_lr(s, 0.1, 0, 10, 100), 0.01);
  EXPECT_DOUBLE_EQ(train::scheduled_lr(s, 0.1, 9, 10, 100), 0.1);
  EXPECT_DOUBLE_EQ(train::scheduled_lr(s, 0.1, 50, 10, 100), 0.1);
}

TEST(Schedule, StepDecaysEveryStepSizeEpochs) {
  train::ScheduleOptions s;
  s.name = "step";
  s.step_size = 2;
  s.gamma = 0.5;
  EXPECT_DOUBLE_EQ(train::scheduled_lr(s, 1.0, 19, 10, 100), 1.0);   // epoch 1
  EXPECT_DOUBLE_EQ(train::scheduled_lr(s, 1.0, 20, 10, 100), 0.5);   // epoch 3
  EXPECT_DOUBLE_EQ(train::scheduled_lr(s, 1.0, 45, 10, 100), 0.25);  // epoch 5
}

TEST(Schedule, CosineFromPeakToFloorAfterWarmup) {
  train::ScheduleOptions s;
  s.name = "cosine";
  s.warmup_epochs = 1;
  s.min_lr_fraction = 0.1;
  EXPECT_NEAR(train::scheduled_lr(s, 1.0, 10, 10, 110), 1.0, 1e-12);   // end of warm-up: peak
  EXPECT_NEAR(train::scheduled_lr(s, 1.0, 60, 10, 110), 0.55, 1e-12);  // halfway: (1 + 0.1) / 2
  EXPECT_NEAR(train::scheduled_lr(s, 1.0, 110, 10, 110), 0.1, 1e-12);  // the end: floor
}

TEST(Optimizer, BuildsEachKindAndValidates) {
  auto w = torch::zeros({3}, torch::requires_grad());
  for (const char* name : {"sgd", "adam", "adamw"}) {
    train::OptimizerOptions o;
    o.name = name;
    auto opt = train::make_optimizer({{w}}, o);
    train::set_learning_rate(*opt, 0.5);
    EXPECT_DOUBLE_EQ(opt->param_groups()[0].options().get_lr(), 0.5);
  }
  // Options are checked once, by validate (train::validate(RunOptions) calls it before a run).
  train::OptimizerOptions bad;
  bad.name = "rmsprop";
  EXPECT_THROW(train::validate(bad), std::invalid_argument);
  EXPECT_THROW(train::make_optimizer({{w}}, bad), std::invalid_argument);  // no such optimizer to build
  bad.name = "sgd";
  bad.lr = -1;
  EXPECT_THROW(train::validate(bad), std::invalid_argument);
  bad.lr = 0.1;
  bad.momentum = 0;
  bad.nesterov = true;
  EXPECT_THROW(train::validate(bad), std::invalid_argument);
}

TEST(Optimizer, ParameterGroupsTakeScaledLearningRatesAndSkipFrozenParameters) {
  auto a = torch::tensor({1.0}, torch::requires_grad()), b = torch::tensor({1.0}, torch::requires_grad());
  train::OptimizerOptions o;
  o.momentum = 0;
  auto opt = train::make_optimizer({{a}, {b}}, o);
  train::set_learning_rate(*opt, 0.5, {1.0, 0.01});
  EXPECT_DOUBLE_EQ(opt->param_groups()[1].options().get_lr(), 0.005);
  EXPECT_THROW(train::set_learning_rate(*opt, 0.5, {1.0}), std::invalid_argument);
  opt->zero_grad();
  (a * a / 2 + b * b / 2).sum().backward();
  opt->step();
  EXPECT_NEAR(a.item<double>(), 0.5, 1e-6);    // 1 - 0.5 * 1
  EXPECT_NEAR(b.item<double>(), 0.995, 1e-6);  // 1 - 0.005 * 1
  // A frozen parameter (no gradient) is left alone, also by weight decay.
  b.set_requires_grad(false);
  b.mutable_grad() = torch::Tensor();
  opt->zero_grad();
  (a * a / 2).sum().backward();
  opt->step();
  EXPECT_NEAR(b.item<double>(), 0.995, 1e-6);
}

TEST(Optimizer, SgdNesterovMatchesTheFormula) {
  // one parameter, loss = w^2 / 2 (gradient w); PyTorch's SGD with momentum 0.9, nesterov, wd 0.1
  auto w = torch::tensor({1.0}, torch::requires_grad());
  train::OptimizerOptions o;
  o.lr = 0.1;
  o.nesterov = true;
  o.weight_decay = 0.1;
  auto opt = train::make_optimizer({{w}}, o);
  double wv = 1.0, buf = 0.0;
  for (int step = 0; step < 3; ++step) {
    opt->zero_grad();
    (w * w / 2).sum().backward();
    opt->step();
    const double g = wv + 0.1 * wv;
    buf = step == 0 ? g : 0.9 * buf + g;
    wv -= 0.1 * (g + 0.9 * buf);
    EXPECT_NEAR(w.item<double>(), wv, 1e-6);
  }
}

}  // namespace
}  // namespace tlab::test
