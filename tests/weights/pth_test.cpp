// torch.save readers (zip and legacy containers) against what torch.load gives in Python, and the
// errors for files that are empty, truncated, not weights, TorchScript, or that name code to run.
#include "tlab/weights/pth.h"

#include <cmath>

#include "tlab/weights/load.h"
#include "weights_util.h"

namespace tlab::test {
namespace {

using weights::StateDict;

std::string weights_file(const std::string& name) { return shared_dir() + "/weights/" + name; }

const char* const kMobileNet = "mobilenet_v2-imagenet-folded.pth";
const char* const kSqueezeNet = "squeezenet1_0-imagenet-deepcompression.pth";
const char* const kTorchScript = "mobilenet_v2-imagenet-int8.torchscript.pt";

// ---------------------------------------------------------------------------------------------
// Real files

struct RealCase {
  const char* file;
  size_t tensors;
};

void PrintTo(const RealCase& c, std::ostream* os) { *os << c.file << " (" << c.tensors << " tensors)"; }

class PthRealFile : public ::testing::TestWithParam<RealCase> {};

// Reads `path` and checks its names (in order) and values against torch.load's dump `ref`.
StateDict read_and_check(const std::string& path, const std::vector<std::string>& keys, const nlohmann::json& ref) {
  const StateDict sd = weights::read_pth(path);
  EXPECT_EQ(sd.size(), keys.size());
  for (size_t i = 0; i < sd.size() && i < keys.size(); ++i) {
    EXPECT_EQ(sd[i].first, keys[i]);
    expect_tensor_equals(sd[i].second, ref["tensors"][keys[i]], keys[i]);
  }
  return sd;
}

TEST_P(PthRealFile, MatchesTorchLoad) {
  TempDir dir;
  const std::string path = weights_file(GetParam().file);
  ASSERT_NO_FATAL_FAILURE(make_fixtures(dir, {"real:" + path}));
  const auto ref = read_json(dir.str("real.json"))[path];
  const StateDict sd = weights::read_pth(path);
  ASSERT_EQ(sd.size(), GetParam().tensors);
  ASSERT_EQ(ref["keys"].size(), sd.size());
  for (size_t i = 0; i < sd.size(); ++i) {
    const auto& [name, t] = sd[i];
    SCOPED_TRACE(name);
    ASSERT_EQ(name, ref["keys"][i].get<std::string>()) << "keys are in file order";
    const auto& r = ref["tensors"][name];
    EXPECT_EQ(dtype_name(t.scalar_type()), r["dtype"].get<std::string>());
    EXPECT_EQ(t.sizes().vec(), r["shape"].get<std::vector<int64_t>>());
    const torch::Tensor d = t.to(torch::kFloat64).reshape(-1);
    const double abs_sum = d.abs().sum().item<double>();
    EXPECT_NEAR(d.sum().item<double>(), r["sum"].get<double>(), 1e-12 * abs_sum + 1e-300);
    const auto first = r["first"].get<std::vector<double>>();
    for (size_t k = 0; k < first.size(); ++k) EXPECT_EQ(d[int64_t(k)].item<double>(), first[k]) << "element " << k;
  }
  // read_weights recognises the zip container by content and gives the same.
  const StateDict again = weights::read_weights(path);
  ASSERT_EQ(again.size(), sd.size());
  for (size_t i = 0; i < sd.size(); i += 17) expect_same_tensor(again[i].second, sd[i].second, sd[i].first);
}

INSTANTIATE_TEST_SUITE_P(PthShared, PthRealFile,
                         ::testing::Values(RealCase{kMobileNet, 314}, RealCase{kSqueezeNet, 52}),
                         [](const auto& info) { return std::string(info.param.tensors == 314 ? "MobileNetV2" : "SqueezeNet"); });

TEST(PthRealFile, TorchScriptArchiveIsRejectedNamingTorchScript) {
  const std::string path = weights_file(kTorchScript);
  expect_runtime_error([&] { weights::read_pth(path); }, {path, "TorchScript"});
  expect_runtime_error([&] { weights::read_weights(path); }, {path, "TorchScript"});
}

// ---------------------------------------------------------------------------------------------
// Every dtype and layout torch.save writes for a state dict

TEST(PthDtypes, ZipAndLegacyFilesMatchTorchLoadExactly) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(make_fixtures(dir, {"dtypes", "legacy_view"}));
  const auto ref = read_json(dir.str("dtypes.json"));
  const auto keys = ref["keys"].get<std::vector<std::string>>();
  // Every dtype, views of one storage (transposed, offset slice, strided, expanded), 0-d, empty,
  // and an nn.Parameter.
  for (const char* k : {"f32", "f64", "f16", "bf16", "i64", "i32", "i16", "i8", "u8", "bool", "transposed", "slice",
                        "strided", "expanded", "scalar_f32", "scalar_i64", "empty", "empty_2d", "param"})
    EXPECT_NE(std::find(keys.begin(), keys.end(), k), keys.end()) << k;

  StateDict zip, legacy;
  for (const char* file : {"dtypes.pth", "dtypes_legacy.pth"}) {
    SCOPED_TRACE(file);
    const StateDict sd = read_and_check(dir.str(file), keys, ref);
    (std::string(file) == "dtypes.pth" ? zip : legacy) = sd;
  }
  // The legacy container gives exactly what the zip one gives.
  ASSERT_EQ(zip.size(), legacy.size());
  for (size_t i = 0; i < zip.size(); ++i) {
    EXPECT_EQ(zip[i].first, legacy[i].first);
    expect_same_tensor(zip[i].second, legacy[i].second, zip[i].first);
  }
  // Views that shared one storage in the file are independent tensors once read.
  auto find = [&](const StateDict& sd, const std::string& name) {
    for (const auto& [k, v] : sd)
      if (k == name) return v;
    return torch::Tensor();
  };
  for (const StateDict* sd : {&zip, &legacy}) {
    torch::Tensor whole = find(*sd, "whole"), slice = find(*sd, "slice");
    ASSERT_TRUE(whole.defined() && slice.defined());
    const torch::Tensor before = whole.clone();
    slice.add_(100);
    EXPECT_TRUE(torch::equal(whole, before));
  }
  // A legacy storage view (a slice of a larger storage): offsets count from the slice's start.
  // Regression: they were taken from the start of the underlying storage (wrong elements).
  const auto view_ref = read_json(dir.str("legacy_view.json"));
  const StateDict views = weights::read_pth(dir.str("legacy_view.pth"));
  ASSERT_EQ(views.size(), 2u);
  for (const auto& [k, v] : views) expect_tensor_equals(v, view_ref["tensors"][k], k);
}

// ---------------------------------------------------------------------------------------------
// Containers: a plain dict, and checkpoint dicts under "state_dict" / "model"

TEST(PthContainers, PlainDictAndCheckpointDictsGiveTheStateDict) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(make_fixtures(dir, {"containers"}));
  const auto ref = read_json(dir.str("containers.json"));
  const auto keys = ref["keys"].get<std::vector<std::string>>();
  for (const char* file : {"plain.pth", "ckpt_state_dict.pth", "ckpt_model.pth", "plain_legacy.pth",
                           "ckpt_state_dict_legacy.pth", "ckpt_model_legacy.pth"}) {
    SCOPED_TRACE(file);
    const StateDict sd = read_and_check(dir.str(file), keys, ref);
  }
  // The checkpoint's other entries (epoch, optimizer settings) are still in the root object.
  const auto root = weights::read_torch_file(dir.str("ckpt_state_dict.pth"));
  ASSERT_TRUE(root->is(weights::PickleValue::Kind::kDict));
  bool epoch_found = false;
  for (const auto& [k, v] : root->dict)
    if (k->s == "epoch") epoch_found = v->is(weights::PickleValue::Kind::kInt) && v->i == 3;
  EXPECT_TRUE(epoch_found);
}

// ---------------------------------------------------------------------------------------------
// Pickles that name code to run: refused by name, and nothing runs

TEST(PthMalicious, OsSystemIsRefusedByNameAndNeverRuns) {
  TempDir dir;
  const std::string marker = dir.str("pwned");
  // The script checks that torch.load of each file does create the marker (the payload is live),
  // then removes it.
  ASSERT_NO_FATAL_FAILURE(make_fixtures(dir, {"evil:" + marker}));
  ASSERT_FALSE(fs::exists(marker));
  for (const char* file : {"evil_system.pth", "evil_system_p4.pth", "evil_system_legacy.pth"}) {
    SCOPED_TRACE(file);
    const std::string path = dir.str(file);
    // On Linux os.system pickles as posix.system.
    expect_runtime_error([&] { weights::read_pth(path); }, {path, "'posix.system'", "refusing"});
    expect_runtime_error([&] { weights::read_weights(path); }, {path, "'posix.system'"});
    EXPECT_FALSE(fs::exists(marker)) << "the pickle's command ran";
  }
}

TEST(PthMalicious, BuiltinsEvalIsRefusedByNameAndNeverRuns) {
  TempDir dir;
  const std::string marker = dir.str("pwned");
  ASSERT_NO_FATAL_FAILURE(make_fixtures(dir, {"evil:" + marker}));
  // Pickle protocol 2 (torch.save's default) writes Python 2's name for the builtins module.
  for (const auto& [file, global] : std::vector<std::pair<std::string, std::string>>{
           {"evil_eval.pth", "'__builtin__.eval'"}, {"evil_eval_p4.pth", "'builtins.eval'"}}) {
    SCOPED_TRACE(file);
    const std::string path = dir.str(file);
    expect_runtime_error([&] { weights::read_pth(path); }, {path, global, "refusing"});
    EXPECT_FALSE(fs::exists(marker)) << "the pickle's code ran";
  }
}

// ---------------------------------------------------------------------------------------------
// Files that are not (whole) weights files

TEST(PthBadFiles, EmptyFileIsAClearError) {
  TempDir dir;
  const std::string path = dir.str("empty.pth");
  write_bytes(path, "");
  expect_runtime_error([&] { weights::read_pth(path); }, {path, "empty"});
  expect_runtime_error([&] { weights::read_weights(path); }, {path, "empty"});
}

TEST(PthBadFiles, MissingFileIsAClearError) {
  TempDir dir;
  const std::string path = dir.str("nope.pth");
  expect_runtime_error([&] { weights::read_pth(path); }, {path, "does not exist"});
  expect_runtime_error([&] { weights::read_weights(path); }, {path, "does not exist"});
}

TEST(PthBadFiles, JpegAndTextFilesAreNotWeights) {
  TempDir dir;
  const std::string jpeg = shared_dir() + "/images/cat_720p.jpg";
  const std::string text = dir.str("notes.txt");
  write_bytes(text, "these are not the weights you are looking for\n");
  const std::string bmp = shared_dir() + "/images/bird.bmp";
  for (const std::string& path : {jpeg, text, bmp}) {
    SCOPED_TRACE(path);
    expect_runtime_error([&] { weights::read_pth(path); }, {path, "not a PyTorch weights file"});
    expect_runtime_error([&] { weights::read_weights(path); }, {path, "not a PyTorch weights file"});
  }
}

TEST(PthBadFiles, RealZipCutAtSeveralPointsIsAClearError) {
  TempDir dir;
  const std::string bytes = read_binary(weights_file(kSqueezeNet));
  const size_t n = bytes.size();
  ASSERT_GT(n, 100000u);
  for (size_t cut : {size_t(1), size_t(2), size_t(4), size_t(30), size_t(64), size_t(1000), n / 4, n / 2, n - 4096,
                     n - 100, n - 22, n - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(n));
    const std::string path = dir.str("cut_" + std::to_string(cut) + ".pth");
    write_bytes(path, bytes.substr(0, cut));
    expect_runtime_error([&] { weights::read_pth(path); }, {path});
  }
}

TEST(PthBadFiles, SmallFilesCutAtEveryByteAreAClearError) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(make_fixtures(dir, {"containers"}));
  for (const char* file : {"ckpt_state_dict.pth", "ckpt_state_dict_legacy.pth"}) {
    const std::string bytes = read_binary(dir.str(file));
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(weights::state_dict_from(weights::read_torch_bytes(bytes, file), file).size(), 3u);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      SCOPED_TRACE(std::string(file) + " cut at " + std::to_string(cut));
      expect_runtime_error([&] { weights::read_torch_bytes(bytes.substr(0, cut), file); }, {file});
    }
  }
}

TEST(PthBadFiles, CorruptedRecordIsAClearError) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(make_fixtures(dir, {"containers"}));
  std::string bytes = read_binary(dir.str("plain.pth"));
  // Flip the first byte of the first tensor's data (its local header: 30 bytes, the name, then an
  // extra field padding the data to 64 bytes): the zip's CRC no longer matches.
  const std::string name = "plain/data/0";
  const size_t header = bytes.find(name) - 30;
  ASSERT_LT(header, bytes.size());
  const size_t extra = uint8_t(bytes[header + 28]) | size_t(uint8_t(bytes[header + 29])) << 8;
  const size_t payload = header + 30 + name.size() + extra;
  ASSERT_EQ(payload % 64, 0u);
  EXPECT_EQ(weights::read_torch_bytes(bytes, "intact.pth")->dict.size(), 3u);
  bytes[payload] = char(bytes[payload] ^ 0x55);
  expect_runtime_error([&] { weights::read_torch_bytes(bytes, "flipped.pth"); }, {"flipped.pth", "CRC"});
}

}  // namespace
}  // namespace tlab::test
