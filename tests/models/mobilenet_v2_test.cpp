#include "tlab/models/mobilenet_v2.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>

#include "mobile_checks.h"
#include "tlab/data/decode.h"

namespace tlab::test {
namespace {

TEST(MobileNetV2, MatchesTorchvision) { expect_parity_at_default_size("mobilenet_v2"); }

TEST(MobileNetV2, TorchvisionNamesAndSize) {
  expect_names_and_size("mobilenet_v2",
                        {"features.0.0.weight", "features.0.1.running_mean", "features.0.1.num_batches_tracked",
                         "features.1.conv.0.0.weight", "features.1.conv.1.weight", "features.1.conv.2.running_var",
                         "features.2.conv.0.0.weight", "features.2.conv.1.0.weight", "features.2.conv.2.weight",
                         "features.2.conv.3.bias", "features.17.conv.3.weight", "features.18.0.weight",
                         "features.18.1.bias", "classifier.1.weight", "classifier.1.bias"},
                        3504872);
}

TEST(MobileNetV2, HeadlessGivesPooledFeatures) { expect_headless_features("mobilenet_v2", 1280); }

TEST(MobileNetV2, ObservedStageNames) { expect_stage_names("mobilenet_v2", 19, 2, 1280); }

TEST(MobileNetV2, ImageNetHeadIntoTenClassesReinitialisesOnlyTheHead) {
  expect_head_reinitialised("mobilenet_v2", {"classifier.1.weight", "classifier.1.bias"});
}

TEST(MobileNetV2, TrainsWithGradientsEverywhere) { expect_trains("mobilenet_v2"); }

// torchvision's ImageNet preprocessing with OpenCV: RGB, shorter side to 256 (bilinear), centre
// crop 224, [0, 1], mean/std normalisation -> [1, 3, 224, 224].
torch::Tensor imagenet_input(const std::string& path) {
  const cv::Mat rgb = data::decode_image(path);
  // torchvision's Resize(256): the shorter side becomes 256, the longer int(256 * long / short).
  const int h = rgb.rows, w = rgb.cols;
  const int nh = h <= w ? 256 : int(256.0 * h / w), nw = h <= w ? int(256.0 * w / h) : 256;
  cv::Mat resized;
  cv::resize(rgb, resized, cv::Size(nw, nh), 0, 0, cv::INTER_LINEAR);
  // CenterCrop(224): top = round((H - 224) / 2), left likewise.
  const int top = int(std::lround((nh - 224) / 2.0)), left = int(std::lround((nw - 224) / 2.0));
  cv::Mat crop = resized(cv::Rect(left, top, 224, 224)).clone();
  auto x = torch::from_blob(crop.data, {224, 224, 3}, torch::kUInt8).permute({2, 0, 1}).to(torch::kFloat) / 255.0;
  const auto mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({3, 1, 1});
  const auto std = torch::tensor({0.229f, 0.224f, 0.225f}).view({3, 1, 1});
  return ((x - mean) / std).unsqueeze(0);
}

TEST(MobileNetV2, PretrainedFoldedWeightsClassifySharedImages) {
  const std::string shared = shared_dir();
  const std::string file = shared + "/weights/mobilenet_v2-imagenet-folded.pth";
  auto model = models::create_model("mobilenet_v2", {1000, 3, 224, 224});
  const auto report = weights::load_state_dict(*model, weights::read_weights(file), file, model->head_prefixes());
  EXPECT_TRUE(report.missing.empty() && report.unexpected.empty() && report.reinitialized.empty() &&
              report.ignored.empty())
      << report.summary();
  EXPECT_EQ(report.loaded.size(), model->named_parameters().size() + model->named_buffers().size());

  std::vector<std::string> labels;
  std::ifstream in(shared + "/weights/imagenet_classes.txt");
  for (std::string line; std::getline(in, line);) labels.push_back(line);
  ASSERT_EQ(labels.size(), 1000u);

  model->eval();
  torch::NoGradGuard no_grad;
  const std::vector<std::pair<std::string, std::string>> expected = {{"cat.bmp", "Egyptian cat"},
                                                                     {"cat_720p.jpg", "Egyptian cat"},
                                                                     {"bird.bmp", "chickadee"},
                                                                     {"grace_hopper.bmp", "military uniform"},
                                                                     {"parrot.jpg", "macaw"}};
  for (const auto& [image, label] : expected) {
    const auto probs = torch::softmax(model->forward(imagenet_input(shared + "/images/" + image)), 1)[0];
    const auto top = probs.argmax().item<int64_t>();
    EXPECT_EQ(labels.at(size_t(top)), label) << image << " (p = " << probs[top].item<double>() << ")";
  }
}

}  // namespace
}  // namespace tlab::test
