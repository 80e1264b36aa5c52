// Real ImageNet weights end to end: `tlab predict --model NAME --weights FILE --labels FILE` on the
// shared photos gives the labels ../shared/weights/README.md lists, with probabilities within 0.01
// of torchvision's on the very same preprocessed input.
#include <nlohmann/json.hpp>

#include "../test_util.h"
#include "tlab/core/io.h"
#include "tlab/data/decode.h"
#include "tlab/transforms/preprocess.h"

namespace tlab::test {
namespace {

const std::vector<std::pair<std::string, std::string>> kImages = {
    {"bird.bmp", "chickadee"}, {"cat.bmp", "Egyptian cat"}, {"cat_720p.jpg", "Egyptian cat"},
    {"grace_hopper.bmp", "military uniform"}, {"parrot.jpg", "macaw"}};

nlohmann::json run_predict(const std::string& args, const TempDir& dir) {
  const std::string out = dir.str("predict.json");
  const int rc = run_command(std::string(TLAB_CLI_PATH) + " predict " + args + " --json > " + out + " 2> " + dir.str("err.txt"));
  EXPECT_EQ(rc, 0) << read_text(dir.str("err.txt"));
  return nlohmann::json::parse(read_text(out));
}

TEST(PredictPretrained, MobileNetV2MatchesReadmeAndTorchvision) {
  TempDir dir;
  const std::string shared = shared_dir();
  const std::string weights = shared + "/weights/mobilenet_v2-imagenet-folded.pth";
  std::string images;
  for (const auto& [file, label] : kImages) images += " " + shared + "/images/" + file;
  const auto ours = run_predict("--model mobilenet_v2 --weights " + weights + " --labels " + shared +
                                    "/weights/imagenet_classes.txt --topk 5" + images,
                                dir);
  ASSERT_EQ(ours.size(), kImages.size());

  // The same preprocessed tensors through torchvision.
  const auto spec = transforms::imagenet_spec(256, 224, "bilinear");
  auto batch = torch::empty({int64_t(kImages.size()), 3, 224, 224});
  for (size_t i = 0; i < kImages.size(); ++i)
    transforms::to_chw_float(data::decode_image(shared + "/images/" + kImages[i].first), spec,
                             batch[int64_t(i)].data_ptr<float>());
  const auto bytes = torch::pickle_save(batch);
  write_file_atomic(dir.str("input.pt"), std::string(bytes.begin(), bytes.end()));
  write_file_atomic(dir.str("ref.py"), R"PY(
import json, sys, torch, torchvision
x = torch.load(sys.argv[1])
m = torchvision.models.mobilenet_v2()
m.load_state_dict(torch.load(sys.argv[2]))
m.eval()
with torch.no_grad():
    p = torch.softmax(m(x), 1)
json.dump(p.tolist(), open(sys.argv[3], "w"))
)PY");
  ASSERT_EQ(run_command("/usr/bin/python3 " + dir.str("ref.py") + " " + dir.str("input.pt") + " " + weights + " " +
                        dir.str("ref.json")),
            0);
  const auto ref = nlohmann::json::parse(read_text(dir.str("ref.json")));
  for (size_t i = 0; i < kImages.size(); ++i) {
    SCOPED_TRACE(kImages[i].first);
    const auto& top = ours[i]["top"];
    EXPECT_EQ(top[0]["class"], kImages[i].second);
    for (const auto& t : top) {
      const double theirs = ref[i][t["index"].get<int>()].get<double>();
      EXPECT_NEAR(t["probability"].get<double>(), theirs, 0.01) << t["class"];
    }
  }
}

TEST(PredictPretrained, SqueezeNetWithCaffePreprocessing) {
  TempDir dir;
  const std::string shared = shared_dir();
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"bird.bmp", "chickadee"}, {"cat.bmp", "tiger cat"}, {"cat_720p.jpg", "tiger cat"},
      {"grace_hopper.bmp", "bow tie"}, {"parrot.jpg", "macaw"}};
  std::string images;
  for (const auto& [file, label] : expected) images += " " + shared + "/images/" + file;
  const auto ours = run_predict("--model squeezenet1_0 --weights " + shared +
                                    "/weights/squeezenet1_0-imagenet-deepcompression.pth --preprocess caffe --labels " +
                                    shared + "/weights/imagenet_classes.txt --topk 3" + images,
                                dir);
  // imagenet_classes.txt lists synonyms ("bow tie, bow-tie, bowtie"): the README names the first.
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(ours[i]["top"][0]["class"].get<std::string>().rfind(expected[i].second, 0), 0u)
        << expected[i].first << ": " << ours[i]["top"][0]["class"];
}

TEST(PredictPretrained, BadWeightsAreClearErrors) {
  TempDir dir;
  const std::string image = shared_dir() + "/images/cat.bmp";
  write_bytes(dir.str("empty.pth"), "");
  const std::string cli = std::string(TLAB_CLI_PATH) + " predict --model mobilenet_v2 ";
  EXPECT_EQ(run_command(cli + "--weights " + dir.str("empty.pth") + " " + image + " 2> " + dir.str("e1")), 1);
  EXPECT_NE(read_text(dir.str("e1")).find("is empty"), std::string::npos) << read_text(dir.str("e1"));
  // SqueezeNet weights into MobileNetV2: every mismatch listed.
  EXPECT_EQ(run_command(cli + "--weights " + shared_dir() + "/weights/squeezenet1_0-imagenet-deepcompression.pth " +
                        image + " 2> " + dir.str("e2")),
            1);
  EXPECT_NE(read_text(dir.str("e2")).find("does not fit the model"), std::string::npos) << read_text(dir.str("e2"));
}

}  // namespace
}  // namespace tlab::test
