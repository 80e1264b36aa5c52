// Training callbacks: early stopping as Keras's EarlyStopping(restore_best_weights=True) decides,
// the weight average (--ema) against timm's ModelEmaV2 in PyTorch, and the one-cycle schedule
// against PyTorch's OneCycleLR.
#include <fstream>

#include "../float_file.h"
#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/train/trainer.h"

namespace tlab::test {
namespace {

// Which epochs improve and after which epoch training stops, for a scripted sequence of values.
struct Stops {
  std::vector<int> improved;
  int stopped_after = 0;  // 0: never
};
Stops script(train::EarlyStoppingOptions o, const std::vector<double>& values) {
  train::Monitor m(o);
  Stops s;
  for (size_t i = 0; i < values.size() && !s.stopped_after; ++i) {
    if (m.update(int(i) + 1, values[i])) s.improved.push_back(int(i) + 1);
    if (m.should_stop()) s.stopped_after = int(i) + 1;
  }
  return s;
}

// The sequences and their outcomes follow Keras 2.11's EarlyStopping.on_epoch_end: wait += 1;
// improvement when monitor_op(current - min_delta, best) (min_delta negated for "min"); then wait = 0;
// else stop once wait >= patience.
TEST(EarlyStopping, StopsWhereKerasWouldOnScriptedSequences) {
  train::EarlyStoppingOptions loss{"val_loss", 2, 0.01};
  // 0.895 and 0.89 are within min_delta of 0.9: two epochs without improvement -> stop after epoch 4
  auto s = script(loss, {1.0, 0.9, 0.895, 0.89, 0.5, 0.4});
  EXPECT_EQ(s.improved, (std::vector<int>{1, 2}));
  EXPECT_EQ(s.stopped_after, 4);
  // an improvement resets the wait
  s = script(loss, {1.0, 1.2, 0.9, 1.0, 0.95, 0.8});
  EXPECT_EQ(s.improved, (std::vector<int>{1, 3}));
  EXPECT_EQ(s.stopped_after, 5);
  // accuracy: higher is better; a tie is no improvement
  train::EarlyStoppingOptions acc{"val_accuracy", 3, 0.0};
  s = script(acc, {0.5, 0.6, 0.6, 0.7, 0.69, 0.7, 0.65, 0.9});
  EXPECT_EQ(s.improved, (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(s.stopped_after, 7);
  // patience 0: never stops
  s = script({"val_accuracy", 0, 0.0}, {0.9, 0.1, 0.1, 0.1});
  EXPECT_EQ(s.stopped_after, 0);
}

TEST(EarlyStopping, RejectsBadOptions) {
  EXPECT_THROW(train::validate(train::EarlyStoppingOptions{"loss", 1, 0}), UsageError);
  EXPECT_THROW(train::validate(train::EarlyStoppingOptions{"val_loss", -1, 0}), UsageError);
  EXPECT_THROW(train::validate(train::EarlyStoppingOptions{"val_loss", 1, -0.1}), UsageError);
}

struct Small : models::Model {
  torch::nn::Linear first{nullptr}, second{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
  Small() {
    first = register_module("first", torch::nn::Linear(4, 8));
    bn = register_module("bn", torch::nn::BatchNorm1d(8));
    second = register_module("second", torch::nn::Linear(8, 3));
  }
  torch::Tensor forward(torch::Tensor x) override { return second(torch::relu(bn(first(x)))); }
  torch::Tensor forward_observed(torch::Tensor x, const models::LayerObserver&) override { return forward(x); }
  int64_t feature_dim() const override { return 8; }
};

// Records what a run stores, in memory.
struct MemoryStore : train::EpochStore {
  std::map<int, std::vector<torch::Tensor>> weights;  // epoch -> the stored model's parameters
  std::vector<train::TrainerState> states;
  void save_epoch(const train::EpochRecord&, const train::TrainerState& state, const torch::nn::Module& model,
                  const torch::optim::Optimizer*, bool, const std::vector<torch::Tensor>&) override {
    for (const auto& p : model.parameters()) weights[state.epoch].push_back(p.detach().clone());
    states.push_back(state);
  }
  train::TrainerState load_last(torch::nn::Module&, torch::optim::Optimizer&, std::vector<torch::Tensor>*) override {
    return {};
  }
  void load_best(torch::nn::Module&) override {}
};

TEST(EarlyStopping, TheTrainerStopsAndKeepsTheBestEpochsWeights) {
  torch::manual_seed(0);
  auto model = std::make_shared<Small>();
  const auto x = torch::randn({48, 4});
  const auto y = torch::randint(0, 3, {48}, torch::kInt64);
  data::TensorBatches train(x, y, {"a", "b", "c"}, 8, true, 0), val(x, y, {"a", "b", "c"}, 16, false, 0);
  train::TrainOptions t;
  t.epochs = 10;
  t.optimizer.lr = 0.05;
  t.early_stopping = {"val_loss", 2, /*min_delta=*/100.0};  // nothing after epoch 1 counts as better
  train::Trainer trainer(model, t, torch::kCPU);
  MemoryStore store;
  const auto records = trainer.fit(train, &val, &store);
  ASSERT_EQ(records.size(), 3u);  // epoch 1 improves, 2 and 3 do not: stop
  EXPECT_TRUE(trainer.state().stopped_early);
  EXPECT_EQ(trainer.state().best_epoch, 1);
  EXPECT_EQ(trainer.state().monitor.wait, 2);
  const auto params = model->parameters();
  ASSERT_EQ(params.size(), store.weights[1].size());
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], store.weights[1][i])) << i;
  EXPECT_FALSE(torch::equal(params[0], store.weights[3][0]));
}

// timm's ModelEmaV2 in PyTorch, trained on the same data from the same initial weights with SGD.
TEST(ModelEma, MatchesTimmsModelEmaV2InPyTorch) {
  TempDir dir;
  torch::manual_seed(3);
  auto model = std::make_shared<Small>();
  const auto x = torch::randn({40, 4});
  const auto y = torch::randint(0, 3, {40}, torch::kInt64);
  write_floats(dir.str("x.bin"), x);
  write_floats(dir.str("y.bin"), y.to(torch::kFloat));
  for (const auto& p : model->named_parameters()) write_floats(dir.str(p.key() + ".bin"), p.value());
  data::TensorBatches train(x, y, {"a", "b", "c"}, 8, /*shuffle=*/false, 0);  // 5 steps, in order
  train::TrainOptions t;
  t.epochs = 2;
  t.optimizer.name = "sgd";
  t.optimizer.lr = 0.1;
  t.optimizer.momentum = 0.9;
  t.ema_decay = 0.8;
  train::Trainer trainer(model, t, torch::kCPU);
  trainer.fit(train, nullptr, nullptr);  // ends with the average's weights in the model

  const std::string script = dir.str("ema_reference.py");
  std::ofstream(script) << R"(import sys, numpy as np, torch
d = sys.argv[1]
f = lambda n, *s: torch.from_numpy(np.fromfile(f"{d}/{n}.bin", dtype=np.float32).reshape(*s))
m = torch.nn.Sequential()
m.add_module("first", torch.nn.Linear(4, 8)); m.add_module("bn", torch.nn.BatchNorm1d(8))
m.add_module("relu", torch.nn.ReLU()); m.add_module("second", torch.nn.Linear(8, 3))
with torch.no_grad():
    for n, p in m.named_parameters(): p.copy_(f(n, *p.shape))
# timm.utils.ModelEmaV2 (timm 0.9): a deep copy, then ema = decay * ema + (1 - decay) * model per state_dict entry
ema = {k: v.clone() for k, v in m.state_dict().items()}
def update(decay=0.8):
    with torch.no_grad():
        for k, v in m.state_dict().items():
            ema[k] = decay * ema[k] + (1. - decay) * v if v.is_floating_point() else v.clone()
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
x, y = f("x", 40, 4), f("y", 40).long()
m.train()
for epoch in range(2):
    for i in range(0, 40, 8):
        opt.zero_grad(); torch.nn.functional.cross_entropy(m(x[i:i+8]), y[i:i+8]).backward(); opt.step(); update()
for k, v in ema.items():
    if v.is_floating_point(): v.numpy().astype(np.float32).tofile(f"{d}/ema.{k}.bin")
)";
  ASSERT_EQ(run_command("/usr/bin/python3 " + script + " " + dir.str()), 0)
      << "the PyTorch reference failed; is python3-torch installed (scripts/setup.sh)?";
  auto check = [&](const std::string& name, const torch::Tensor& ours) {
    std::ifstream in(dir.str("ema." + name + ".bin"), std::ios::binary);
    std::vector<float> ref(size_t(ours.numel()));
    in.read(reinterpret_cast<char*>(ref.data()), std::streamsize(ref.size() * 4));
    ASSERT_TRUE(in) << name;
    const auto expected = torch::from_blob(ref.data(), ours.sizes(), torch::kFloat).clone();
    EXPECT_TRUE(torch::allclose(ours, expected, 1e-5, 1e-5))
        << name << ": max difference " << (ours - expected).abs().max().item<double>();
  };
  for (const auto& p : model->named_parameters()) check(p.key(), p.value());
  check("bn.running_mean", model->bn->running_mean);
  check("bn.running_var", model->bn->running_var);
  EXPECT_EQ(model->bn->num_batches_tracked.item<int64_t>(), 10);  // copied, not averaged
}

TEST(Schedule, OneCycleMatchesPyTorchsOneCycleLR) {
  TempDir dir;
  const std::string script = dir.str("onecycle.py");
  std::ofstream(script) << R"(import sys, torch
w = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=37, pct_start=0.3)
with open(sys.argv[1], "w") as out:
    for i in range(37):
        g = opt.param_groups[0]
        out.write(f"{g['lr']!r} {g['momentum']!r}\n")
        opt.step(); s.step()
)";
  ASSERT_EQ(run_command("/usr/bin/python3 " + script + " " + dir.str("lrs.txt")), 0);
  std::ifstream in(dir.str("lrs.txt"));
  train::ScheduleOptions s;
  s.name = "onecycle";
  s.warmup_epochs = 1;  // onecycle's first phase is its warm-up; this one is ignored
  double lr = 0, momentum = 0;
  for (int64_t step = 0; step < 37; ++step) {
    ASSERT_TRUE(in >> lr >> momentum) << step;
    EXPECT_NEAR(train::scheduled_lr(s, 0.1, step, 5, 37), lr, 1e-12) << step;
    EXPECT_NEAR(*train::scheduled_momentum(s, step, 37), momentum, 1e-12) << step;
  }
  s.name = "cosine";
  EXPECT_FALSE(train::scheduled_momentum(s, 3, 37).has_value());
}

}  // namespace
}  // namespace tlab::test
