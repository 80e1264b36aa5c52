// Real ImageNet weights behind the server: /v1/predict gives the same top-k as infer::predict_files
// and `tlab predict --json` on the shared photos (labels equal, probabilities within 1e-5), whether
// the photos come one per request (concurrently, so batched) or all in one request; the exported
// TorchScript and ONNX files agree with both; an export bundle is served through its TorchScript
// file; and the web page shows the top label in a browser.
#include <fstream>
#include <future>
#include <iostream>

#include "serve_util.h"
#include "../float_file.h"
#include "tlab/core/io.h"
#include "tlab/data/decode.h"
#include "tlab/export/bundle.h"
#include "tlab/infer/predict.h"
#include "tlab/serve/bundle.h"

namespace tlab::test {
namespace {

using namespace std::chrono_literals;

const std::vector<std::pair<std::string, std::string>> kPhotos = {
    {"bird.bmp", "chickadee"}, {"cat.bmp", "Egyptian cat"}, {"cat_720p.jpg", "Egyptian cat"},
    {"grace_hopper.bmp", "military uniform"}, {"parrot.jpg", "macaw"}};

infer::ModelSource mobilenet(const std::string& shared) {
  infer::ModelSource s;
  s.model = "mobilenet_v2";
  s.weights = shared + "/weights/mobilenet_v2-imagenet-folded.pth";
  s.labels = shared + "/weights/imagenet_classes.txt";
  return s;
}

void expect_same_top(const nlohmann::json& got, const infer::TopK& want, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(got.size(), want.size()) << got.dump();
  for (size_t j = 0; j < want.size(); ++j) {
    EXPECT_EQ(got[j]["label"], want[j].name) << j;
    EXPECT_EQ(got[j]["index"], want[j].index) << j;
    EXPECT_NEAR(got[j]["probability"].get<double>(), want[j].probability, 1e-5) << j;
  }
}

TEST(ServePredictions, SameTopKAsTlabPredictOnTheSharedPhotos) {
  const std::string shared = shared_dir();
  const auto source = mobilenet(shared);
  std::vector<std::string> paths;
  for (const auto& [file, label] : kPhotos) paths.push_back(shared + "/images/" + file);
  const auto reference = infer::predict_files(infer::load(source, torch::kCPU), paths, 5);
  for (size_t i = 0; i < kPhotos.size(); ++i) ASSERT_EQ(reference[i][0].name, kPhotos[i].second);

  auto o = test_options();
  o.threads = 2;
  o.max_batch_delay_ms = 50;
  TestServer t(o, [source] { return infer::load(source, torch::kCPU); });
  EXPECT_EQ(t.server.model_name(), "mobilenet_v2");
  std::vector<std::future<nlohmann::json>> answers;  // one photo per request, all at once
  for (const auto& path : paths)
    answers.push_back(std::async(std::launch::async, [&t, path] {
      return json_body(t.client(60)->Post("/v1/predict", read_file(path), "application/octet-stream"));
    }));
  for (size_t i = 0; i < paths.size(); ++i) expect_same_top(answers[i].get()["predictions"][0], reference[i], paths[i]);

  httplib::MultipartFormDataItems form;
  for (const auto& path : paths) form.push_back({"image", read_file(path), fs::path(path).filename().string(), ""});
  const auto all = json_body(t.client(60)->Post("/v1/predict", form));
  ASSERT_EQ(all["predictions"].size(), paths.size()) << all.dump();
  for (size_t i = 0; i < paths.size(); ++i) expect_same_top(all["predictions"][i], reference[i], "form: " + paths[i]);

  // The command line's answer, the same numbers.
  TempDir dir;
  std::vector<std::string> args = {TLAB_CLI_PATH, "predict", "--model", "mobilenet_v2", "--weights", source.weights,
                                   "--labels", source.labels, "--json"};
  args.insert(args.end(), paths.begin(), paths.end());
  Child predict(args);
  ASSERT_EQ(predict.wait_exit(120s), 0) << predict.output();
  const auto cli = nlohmann::json::parse(predict.output().substr(predict.output().find('[')));
  for (size_t i = 0; i < paths.size(); ++i)
    for (size_t j = 0; j < 5; ++j) {
      EXPECT_EQ(all["predictions"][i][j]["label"], cli[i]["top"][j]["class"]);
      EXPECT_NEAR(all["predictions"][i][j]["probability"].get<double>(), cli[i]["top"][j]["probability"].get<double>(), 1e-5);
    }
}

TEST(ServePredictions, TheServerPredictAndBothExportedFilesAgree) {
  const std::string shared = shared_dir();
  std::vector<std::string> paths;
  for (const auto& [file, label] : kPhotos) paths.push_back(shared + "/images/" + file);
  const auto model = infer::load(mobilenet(shared), torch::kCPU);
  const auto reference = infer::predict_files(model, paths, 5);
  TempDir dir;
  const auto ts = exporting::export_bundle(model, {exporting::Format::kTorchScript, dir.str("ts")});
  const auto onnx = exporting::export_bundle(model, {exporting::Format::kOnnx, dir.str("onnx")});

  // The TorchScript file through the inference path (what `tlab predict --model torchscript:FILE` runs):
  // its preprocessing and classes come from inside the file.
  const auto scripted = infer::predict_files(infer::load_torchscript(ts.model_file, torch::kCPU), paths, 5);
  for (size_t i = 0; i < paths.size(); ++i) {
    SCOPED_TRACE(paths[i]);
    ASSERT_EQ(scripted[i].size(), 5u);
    for (size_t j = 0; j < 5; ++j) {
      EXPECT_EQ(scripted[i][j].name, reference[i][j].name) << j;
      EXPECT_NEAR(scripted[i][j].probability, reference[i][j].probability, 1e-5) << j;
    }
  }

  // The ONNX file in ONNX Runtime on the same preprocessed photos: the same logits within 1e-4.
  std::vector<cv::Mat> images;
  for (const auto& p : paths) images.push_back(data::decode_image(p, data::DecodeOptions{model.input.channels}));
  const auto x = infer::preprocess(model, images);
  const auto y = torch::cat({infer::logits(model, x.slice(0, 0, 1)), infer::logits(model, x)}).cpu();
  for (size_t i = 0; i < paths.size(); ++i) EXPECT_EQ(y[int64_t(i) + 1].argmax().item<int64_t>(), reference[i][0].index);
  write_floats(dir.str("x.bin"), x);
  write_floats(dir.str("y.bin"), y);
  const nlohmann::json manifest = {{{"name", "mobilenet_v2"}, {"onnx", onnx.model_file}, {"x", dir.str("x.bin")},
                                    {"y", dir.str("y.bin")}, {"shape", x.sizes().vec()}, {"classes", y.size(1)}}};
  write_file_atomic(dir.str("manifest.json"), manifest.dump());
  Child node({"/usr/bin/node", std::string(TLAB_SOURCE_DIR) + "/tests/js/onnx_check.js", dir.str("manifest.json")});
  ASSERT_EQ(node.wait_exit(120s), 0) << node.output();
  const std::string out = node.output();
  const auto ort = nlohmann::json::parse(out.substr(std::min(out.find('['), out.size())), nullptr, false);
  ASSERT_TRUE(ort.is_array() && ort.size() == 1) << node.output();
  EXPECT_LT(ort[0].value("diff", 1.0), 1e-4) << node.output();

  // The server on the TorchScript bundle (`tlab serve --bundle DIR`): the same top-5.
  const std::string file = serve::bundle_model_file(dir.str("ts"));
  auto o = test_options();
  o.threads = 2;
  TestServer t(o, [file] { return infer::load_torchscript(file, torch::kCPU); });
  for (size_t i = 0; i < paths.size(); ++i) {
    const auto r = json_body(t.client(60)->Post("/v1/predict", read_file(paths[i]), "application/octet-stream"));
    expect_same_top(r["predictions"][0], reference[i], "served bundle: " + paths[i]);
  }
}

TEST(ServePredictions, AnExportBundleIsServedThroughItsTorchScriptFile) {
  const std::string shared = shared_dir();
  TempDir dir;
  // A bundle as `tlab export` writes it, made of the int8 TorchScript file (traced at batch size 1).
  fs::create_directories(dir.path() / "mobile-int8");
  fs::copy_file(shared + "/weights/mobilenet_v2-imagenet-int8.torchscript.pt", dir.str("mobile-int8/model.pt"));
  write_json_atomic(dir.str("mobile-int8/preprocess.json"), transforms::to_json(transforms::imagenet_spec(256, 224)));
  write_file_atomic(dir.str("mobile-int8/classes.txt"), read_file(shared + "/weights/imagenet_classes.txt"));
  const std::string file = serve::bundle_model_file(dir.str("mobile-int8"));
  auto o = test_options();
  o.max_batch_size = 1;
  TestServer t(o, [file] { return infer::load_torchscript(file, torch::kCPU); });
  EXPECT_EQ(t.server.model_name(), "mobile-int8");
  const auto r = t.client(60)->Post("/v1/predict?topk=1", read_file(shared + "/images/parrot.jpg"), "image/jpeg");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_body(r)["predictions"][0][0]["label"], "macaw");
  EXPECT_EQ(t.client()->Get("/v2/models/mobile-int8")->status, 200);
}

TEST(ServePageBrowser, APickedPhotoShowsItsTopLabel) {
  const std::string shared = shared_dir();
  const auto source = mobilenet(shared);
  auto o = test_options();
  o.threads = 2;
  TestServer t(o, [source] { return infer::load(source, torch::kCPU); });
  const std::string screenshot = (fs::path(TLAB_CLI_PATH).parent_path() / "serve_page.png").string();
  fs::remove(screenshot);
  Child node({"/usr/bin/node", std::string(TLAB_SOURCE_DIR) + "/tests/js/serve_page.js",
              "http://127.0.0.1:" + std::to_string(t.server.port()) + "/", shared + "/images/parrot.jpg", "macaw",
              screenshot});
  EXPECT_EQ(node.wait_exit(180s), 0) << node.output();
  EXPECT_TRUE(fs::is_regular_file(screenshot)) << node.output();
  std::cout << node.output();
}

}  // namespace
}  // namespace tlab::test
