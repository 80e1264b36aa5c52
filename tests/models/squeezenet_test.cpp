#include "tlab/models/squeezenet.h"

#include <opencv2/imgproc.hpp>

#include "parity.h"
#include "tlab/data/decode.h"
#include "tlab/models/summary.h"
#include "zoo_test_util.h"

namespace tlab::test {
namespace {

TEST(SqueezeNetParity, SqueezeNet1_0) { expect_torchvision_parity("squeezenet1_0"); }
TEST(SqueezeNetParity, SqueezeNet1_1) { expect_torchvision_parity("squeezenet1_1"); }
// 227x227 (Caffe's crop): odd sizes through the ceil-mode max-pools.
TEST(SqueezeNetParity, SqueezeNet1_0At227Pixels) { expect_torchvision_parity("squeezenet1_0", {1000, 227}); }
TEST(SqueezeNetParity, SqueezeNet1_1At99PixelsTenClasses) { expect_torchvision_parity("squeezenet1_1", {10, 99}); }

using Shape = std::vector<int64_t>;

int64_t summed_layer_parameters(const models::ModelSummary& s) {
  int64_t sum = 0;
  for (const auto& l : s.layers) sum += l.parameters;
  return sum;
}

TEST(SqueezeNet, StageNamesShapesAndSummary1_0) {
  auto model = models::create_model("squeezenet1_0", {1000, 3, 224, 224});
  const auto x = torch::randn({1, 3, 224, 224});
  torch::Tensor result;
  const auto stages = observe_stages(*model, x, &result);
  std::vector<std::string> expected;
  for (int i = 0; i <= 12; ++i) expected.push_back("features." + std::to_string(i));
  for (int i = 0; i <= 3; ++i) expected.push_back("classifier." + std::to_string(i));
  ASSERT_EQ(stage_names(stages), expected);
  EXPECT_EQ(stages[0].shape, (Shape{1, 96, 109, 109}));
  EXPECT_EQ(stages[2].shape, (Shape{1, 96, 54, 54}));
  EXPECT_EQ(stages[5].shape, (Shape{1, 256, 54, 54}));
  EXPECT_EQ(stages[6].shape, (Shape{1, 256, 27, 27}));
  EXPECT_EQ(stages[10].shape, (Shape{1, 512, 27, 27}));
  EXPECT_EQ(stages[11].shape, (Shape{1, 512, 13, 13}));
  EXPECT_EQ(stages[12].shape, (Shape{1, 512, 13, 13}));
  EXPECT_EQ(stages[14].shape, (Shape{1, 1000, 13, 13}));
  EXPECT_EQ(stages[16].shape, (Shape{1, 1000, 1, 1}));
  EXPECT_EQ(result.sizes(), (Shape{1, 1000}));
  EXPECT_LT(stages[0].output.min().item<float>(), 0.0f);  // conv output, not overwritten by the ReLU
  {
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(result, model->forward(x)));
  }
  // torchvision's parameter count; every parameter belongs to exactly one stage.
  const auto s = models::summarize(*model, "squeezenet1_0", 3, 224, 224);
  EXPECT_EQ(s.parameters.total(), 1248424);
  EXPECT_EQ(summed_layer_parameters(s), s.parameters.total());
  EXPECT_EQ(s.layers[3].type, "Fire");
  EXPECT_EQ(model->feature_dim(), 512);
  EXPECT_EQ(model->head_prefixes(), (std::vector<std::string>{"classifier.1."}));
}

TEST(SqueezeNet, StageShapesAndSummary1_1) {
  auto model = models::create_model("squeezenet1_1", {1000, 3, 224, 224});
  const auto stages = observe_stages(*model, torch::randn({1, 3, 224, 224}));
  ASSERT_EQ(stages.size(), 13u + 4);
  EXPECT_EQ(stages[0].shape, (Shape{1, 64, 111, 111}));
  EXPECT_EQ(stages[2].shape, (Shape{1, 64, 55, 55}));
  EXPECT_EQ(stages[4].shape, (Shape{1, 128, 55, 55}));
  EXPECT_EQ(stages[5].shape, (Shape{1, 128, 27, 27}));
  EXPECT_EQ(stages[7].shape, (Shape{1, 256, 27, 27}));
  EXPECT_EQ(stages[8].shape, (Shape{1, 256, 13, 13}));
  EXPECT_EQ(stages[12].shape, (Shape{1, 512, 13, 13}));
  EXPECT_EQ(stages[16].name, "classifier.3");
  const auto s = models::summarize(*model, "squeezenet1_1", 3, 224, 224);
  EXPECT_EQ(s.parameters.total(), 1235496);
  EXPECT_EQ(summed_layer_parameters(s), s.parameters.total());
}

TEST(SqueezeNet, ParameterNamesAndInitialisation) {
  auto model = models::create_model("squeezenet1_0", {10, 3, 224, 224});
  auto params = model->named_parameters();
  for (const auto& name : {"features.0.weight", "features.3.squeeze.weight", "features.3.expand1x1.weight",
                           "features.3.expand3x3.bias", "features.12.expand3x3.weight", "classifier.1.weight"})
    EXPECT_TRUE(params.contains(name)) << name;
  EXPECT_EQ(params.size(), 2u + 8 * 6 + 2);
  EXPECT_TRUE(model->named_buffers().is_empty());
  // kaiming_uniform_ (a = 0, fan_in): bound sqrt(6 / fan_in); the final conv N(0, 0.01); zero biases.
  const auto expand = params["features.12.expand3x3.weight"];  // 256 x 64 x 3 x 3
  const double bound = std::sqrt(6.0 / (64 * 9));
  EXPECT_LE(expand.abs().max().item<double>(), bound);
  EXPECT_NEAR(expand.std().item<double>(), bound / std::sqrt(3.0), 0.03 * bound);
  EXPECT_NEAR(params["classifier.1.weight"].std().item<double>(), 0.01, 0.002);
  EXPECT_EQ(params["features.3.squeeze.bias"].abs().max().item<float>(), 0.0f);
  EXPECT_EQ(params["classifier.1.bias"].abs().max().item<float>(), 0.0f);
}

TEST(SqueezeNet, HeadlessModelReturnsPooledFireFeatures) {
  for (const std::string arch : {"squeezenet1_0", "squeezenet1_1"}) {
    auto full = models::create_model(arch, {10, 3, 96, 96});
    models::ModelOptions o{10, 3, 96, 96};
    o.include_top = false;
    auto headless = models::create_model(arch, o);
    EXPECT_EQ(headless->named_parameters().size(), 2u + 8 * 6) << arch;
    const auto report = weights::load_state_dict(*headless, state_dict_of(*full), arch, headless->head_prefixes());
    EXPECT_EQ(report.ignored, (std::vector<std::string>{"classifier.1.weight", "classifier.1.bias"})) << arch;
    const auto x = torch::randn({2, 3, 96, 96});
    const auto fire = models::extract_features(*full, x, {"features.12"}).at("features.12");
    torch::Tensor features;
    const auto stages = observe_stages(*headless, x, &features);
    EXPECT_EQ(stages.back().name, "pool") << arch;
    ASSERT_EQ(features.sizes(), (Shape{2, 512})) << arch;
    EXPECT_LE(max_abs_diff(features, fire.mean({2, 3})), 1e-5) << arch;
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(headless->forward(x), features)) << arch;
  }
}

TEST(SqueezeNet, GreyInputAndMinimumSize) {
  auto model = models::create_model("squeezenet1_1", {4, 1, 25, 40});
  const auto first_conv = model->named_parameters()["features.0.weight"];
  EXPECT_EQ(first_conv.sizes(), (Shape{64, 1, 3, 3}));
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(model->forward(torch::randn({2, 1, 25, 40})).sizes(), (Shape{2, 4}));
  EXPECT_THROW(models::create_model("squeezenet1_1", {4, 1, 24, 40}), std::invalid_argument);
  EXPECT_THROW(models::create_model("squeezenet1_0", {4, 3, 28, 28}), std::invalid_argument);
  EXPECT_NO_THROW(models::create_model("squeezenet1_0", {4, 3, 29, 29}));
}

// The pretrained file in ../shared/weights (torchvision's names and shapes).
std::string pretrained_path() { return shared_dir() + "/weights/squeezenet1_0-imagenet-deepcompression.pth"; }

TEST(SqueezeNet, PretrainedFileLoadsWithoutMissingOrUnexpectedKeys) {
  const auto state = weights::read_weights(pretrained_path());
  auto model = models::create_model("squeezenet1_0", {1000, 3, 224, 224});
  // Throws, listing them, on any missing, unexpected or mismatched tensor.
  const auto report = weights::load_state_dict(*model, state, pretrained_path(), model->head_prefixes());
  EXPECT_EQ(report.loaded.size(), 52u);
  EXPECT_TRUE(report.missing.empty() && report.unexpected.empty() && report.mismatched.empty());
  EXPECT_TRUE(report.reinitialized.empty()) << report.summary();
  EXPECT_TRUE(report.ignored.empty()) << report.summary();

  // Into a 10-class model: only the final conv is left at its fresh initialisation.
  auto ten = models::create_model("squeezenet1_0", {10, 3, 224, 224});
  const auto ten_report = weights::load_state_dict(*ten, state, pretrained_path(), ten->head_prefixes());
  EXPECT_EQ(ten_report.reinitialized, (std::vector<std::string>{"classifier.1.weight", "classifier.1.bias"}));
  EXPECT_EQ(ten_report.loaded.size(), 50u);
  auto ten_params = ten->named_parameters();
  for (const auto& [name, tensor] : state)
    if (name.rfind("classifier.", 0) != 0) EXPECT_TRUE(torch::equal(ten_params[name], tensor)) << name;
}

// Caffe preprocessing (README): BGR, 0-255, shorter side to 256, centre crop 227, mean (104, 117, 123).
torch::Tensor caffe_input(const std::string& path) {
  cv::Mat bgr;
  cv::cvtColor(data::decode_image(path), bgr, cv::COLOR_RGB2BGR);
  const double scale = 256.0 / std::min(bgr.rows, bgr.cols);
  cv::Mat resized;
  cv::resize(bgr, resized, cv::Size(int(std::lround(bgr.cols * scale)), int(std::lround(bgr.rows * scale))), 0, 0,
             scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::Mat crop = resized(cv::Rect((resized.cols - 227) / 2, (resized.rows - 227) / 2, 227, 227)).clone();
  cv::Mat f;
  crop.convertTo(f, CV_32FC3);
  f -= cv::Scalar(104, 117, 123);
  return torch::from_blob(f.data, {227, 227, 3}, torch::kFloat).permute({2, 0, 1}).unsqueeze(0).clone();
}

TEST(SqueezeNet, PretrainedFilePredictsTheReadmeClasses) {
  auto model = models::create_model("squeezenet1_0", {1000, 3, 227, 227});
  weights::load_state_dict(*model, weights::read_weights(pretrained_path()), pretrained_path());
  model->eval();
  torch::NoGradGuard no_grad;
  // ImageNet indices: 19 chickadee, 88 macaw, 457 bow tie, 282 tiger cat.
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"bird.bmp", 19}, {"parrot.jpg", 88}, {"grace_hopper.bmp", 457}, {"cat.bmp", 282}};
  for (const auto& [file, label] : cases) {
    const auto logits = model->forward(caffe_input(shared_dir() + "/images/" + file));
    EXPECT_EQ(logits.argmax(1).item<int64_t>(), label) << file << ": top-5 " << std::get<1>(logits.topk(5));
  }
}

}  // namespace
}  // namespace tlab::test
