#include "tlab/features/hog.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "tlab/core/error.h"

// Every step mirrors skimage 0.19.3's feature/_hog.py and feature/_hoghistogram.pyx; the comments
// quote the line each one follows, in skimage's types (a C float where the pyx has one). Bit-equal
// sums also need the compiler not to contract a * b + c into FMAs (the build has no -march).
// Speed without changing a bit: a uint8 image has integer gradients in [-255, 255], so each
// pixel's magnitude (np.hypot) and orientation bin (arctan2, rad2deg, % 180, the bin comparisons)
// come from tables of every gradient pair, built on first use with the same functions (~10 ms,
// 0.4 MB, plus 0.25 MB per orientation count); each pixel then votes into its one bin (the bins'
// ranges do not overlap) in row-major order, and blocks are normalised four at a time.
namespace tlab::features {
namespace {

struct Grid {
  int cell_rows, cell_cols;    // pixels_per_cell = (c_row, c_col)
  int block_rows, block_cols;  // cells_per_block = (b_row, b_col)
  int cells_row, cells_col;    // n_cells_row = int(s_row // c_row), ...
  int blocks_row, blocks_col;  // n_blocks_row = (n_cells_row - b_row) + 1, ...
};

Grid grid(cv::Size size, const HogOptions& o) {
  validate(o);
  Grid g{};
  g.cell_rows = o.pixels_per_cell;
  g.cell_cols = o.pixels_per_cell_cols > 0 ? o.pixels_per_cell_cols : o.pixels_per_cell;
  g.block_rows = o.cells_per_block;
  g.block_cols = o.cells_per_block_cols > 0 ? o.cells_per_block_cols : o.cells_per_block;
  g.cells_row = size.height / g.cell_rows;
  g.cells_col = size.width / g.cell_cols;
  g.blocks_row = g.cells_row - g.block_rows + 1;
  g.blocks_col = g.cells_col - g.block_cols + 1;
  TLAB_CHECK(g.blocks_row >= 1 && g.blocks_col >= 1, "--hog-block: a block of ", g.block_rows, "x", g.block_cols,
             " cells of ", g.cell_rows, "x", g.cell_cols, " pixels needs an image of at least ",
             g.block_rows * g.cell_rows, "x", g.block_cols * g.cell_cols, " (rows x cols), found ", size.height, "x",
             size.width);
  return g;
}

// _hog_channel_gradient per channel, in the image's float type T (skimage's float_dtype: float32
// stays float32, everything else is float64): central differences inside, 0 on the first and
// last row (column). With several channels each pixel keeps the gradient of the channel with the
// largest np.hypot magnitude, the first one on ties (argmax; hence the strict >). Returned as
// float64, as hog() casts them (g_row.astype(float)) before the histograms.
template <typename T>
void gradients(const cv::Mat& x, cv::Mat& g_row, cv::Mat& g_col) {
  const int channels = x.channels();
  g_row.create(x.size(), CV_64F);
  g_col.create(x.size(), CV_64F);
  for (int r = 0; r < x.rows; ++r)
    for (int c = 0; c < x.cols; ++c) {
      const auto at = [&](int y, int z, int ch) { return x.ptr<T>(y)[z * channels + ch]; };
      T best_row = 0, best_col = 0, best = 0;
      for (int ch = 0; ch < channels; ++ch) {
        const T row = r > 0 && r < x.rows - 1 ? T(at(r + 1, c, ch) - at(r - 1, c, ch)) : T(0);
        const T col = c > 0 && c < x.cols - 1 ? T(at(r, c + 1, ch) - at(r, c - 1, ch)) : T(0);
        const T magnitude = std::hypot(row, col);
        if (ch == 0 || magnitude > best) best_row = row, best_col = col, best = magnitude;
      }
      g_row.at<double>(r, c) = best_row;
      g_col.at<double>(r, c) = best_col;
    }
}

// np.rad2deg(np.arctan2(g_row, g_col)) % 180, with numpy's float remainder (npy_divmod): the
// result takes the divisor's sign, and a zero remainder is +0.
double orientation(double g_row, double g_col) {
  const double degrees = std::atan2(g_row, g_col) * (180.0 / M_PI);
  double mod = std::fmod(degrees, 180.0);
  if (mod == 0) return 0.0;
  return mod < 0 ? mod + 180.0 : mod;
}

// The bin i whose range [per_180 * i, per_180 * (i + 1)) holds `angle`, by cell_hog's skip test
// (`orientation >= start or orientation < end`); the ranges share their edges, so at most one
// holds it, and it is within one of angle / per_180. `n` when none does (an angle at or above
// per_180 * n after rounding), kAllBins for NaN, which every test lets through.
constexpr int kAllBins = -1;
int orientation_bin(double angle, int n, double per_180) {
  if (std::isnan(angle)) return kAllBins;
  const int guess = int(std::min(angle / per_180, double(n)));
  for (int i = std::max(0, guess - 1); i <= std::min(n - 1, guess + 1); ++i)
    if (!(angle >= per_180 * (i + 1) || angle < per_180 * i)) return i;
  return n;
}

constexpr int kSpan = 511;  // integer gradients -255..255

// np.hypot(g_col, g_row) of integer gradients, indexed [|g_row| * 256 + |g_col|] (hypot ignores
// the signs and the order of its arguments, C Annex F, so this is also the per-channel magnitude
// hypot(g_row, g_col) that picks a colour pixel's channel), and each one's rank among them: equal
// ranks for equal values, so comparing ranks is comparing hypot's results, without a branch.
// (Not a*a + b*b: glibc 2.36's hypot gives different values to pairs with the same sum 142
// times, e.g. (17, 52) and (28, 47), and np.hypot's argmax sees the difference.)
struct MagnitudeTable {
  std::vector<double> magnitude;
  std::vector<uint16_t> rank;  // at most 65536 distinct values
};

const MagnitudeTable& magnitude_table() {
  static const MagnitudeTable table = [] {
    MagnitudeTable t{std::vector<double>(256 * 256), std::vector<uint16_t>(256 * 256)};
    for (int r = 0; r < 256; ++r)
      for (int c = 0; c < 256; ++c) t.magnitude[size_t(r * 256 + c)] = std::hypot(double(c), double(r));
    std::vector<double> sorted = t.magnitude;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    for (size_t i = 0; i < t.rank.size(); ++i)
      t.rank[i] = uint16_t(std::lower_bound(sorted.begin(), sorted.end(), t.magnitude[i]) - sorted.begin());
    return t;
  }();
  return table;
}

// orientation_bin(orientation(g_row, g_col)) of integer gradients with n <= 254 bins, indexed
// [(g_row + 255) * 511 + g_col + 255]; one table (255 KB) per bin count, built on first use.
const std::vector<uint8_t>& bin_table(int n) {
  thread_local int last_n = 0;  // the common case, one bin count, without the lock
  thread_local const std::vector<uint8_t>* last = nullptr;
  if (n == last_n) return *last;
  static std::mutex mutex;
  static std::map<int, std::unique_ptr<const std::vector<uint8_t>>> tables;
  const std::lock_guard<std::mutex> lock(mutex);
  auto& table = tables[n];
  if (!table) {
    auto t = std::make_unique<std::vector<uint8_t>>(size_t(kSpan) * kSpan);
    const double per_180 = 180. / n;
    for (int r = -255; r <= 255; ++r)
      for (int c = -255; c <= 255; ++c)
        (*t)[size_t((r + 255) * kSpan + c + 255)] = uint8_t(orientation_bin(orientation(r, c), n, per_180));
    table = std::move(t);
  }
  last_n = n;
  last = table.get();
  return *table;
}

// skimage.draw.line (draw/_draw.pyx `_line`): Bresenham from (r0, c0) to (r1, c1), both included.
template <typename Plot>
void draw_line(int r0, int c0, int r1, int c1, Plot plot) {
  int r = r0, c = c0, dr = std::abs(r1 - r0), dc = std::abs(c1 - c0);
  int sc = c1 - c > 0 ? 1 : -1, sr = r1 - r > 0 ? 1 : -1;
  const bool steep = dr > dc;
  if (steep) {
    std::swap(c, r);
    std::swap(dc, dr);
    std::swap(sc, sr);
  }
  int d = 2 * dr - dc;
  for (int i = 0; i < dc; ++i) {
    if (steep) plot(c, r);
    else plot(r, c);
    while (d >= 0) {
      r += sr;
      d -= 2 * dc;
    }
    c += sc;
    d += 2 * dr;
  }
  plot(r1, c1);
}

// The visualize=True branch of hog(): per cell and orientation a line through the cell centre,
// perpendicular to the bin's mid angle, of radius min(c_row, c_col) // 2 - 1, adding the value.
cv::Mat draw_picture(cv::Size size, const Grid& g, int orientations, const std::vector<double>& hist) {
  cv::Mat picture = cv::Mat::zeros(size, CV_64F);
  const int radius = std::min(g.cell_rows, g.cell_cols) / 2 - 1;
  for (int r = 0; r < g.cells_row; ++r)
    for (int c = 0; c < g.cells_col; ++c)
      for (int o = 0; o < orientations; ++o) {
        const double mid = M_PI * (o + .5) / orientations;  // orientation_bin_midpoints
        const double dr = radius * std::sin(mid), dc = radius * std::cos(mid);
        const int centre_r = r * g.cell_rows + g.cell_rows / 2, centre_c = c * g.cell_cols + g.cell_cols / 2;
        const double value = hist[(size_t(r) * g.cells_col + c) * orientations + o];
        // draw.line(int(centre[0] - dc), int(centre[1] + dr), int(centre[0] + dc), int(centre[1] - dr)),
        // int() truncating; with cells of 2 px or more the line stays inside its cell.
        draw_line(int(centre_r - dc), int(centre_c + dr), int(centre_r + dc), int(centre_c - dr),
                  [&](int y, int x) { picture.at<double>(y, x) += value; });
      }
  return picture;
}

enum class Norm { kL1, kL1Sqrt, kL2, kL2Hys };

Norm norm_of(const std::string& method) {
  if (method == "L1") return Norm::kL1;
  if (method == "L1-sqrt") return Norm::kL1Sqrt;
  return method == "L2" ? Norm::kL2 : Norm::kL2Hys;  // validate() allows nothing else
}

// _hog_normalize_block with eps = 1e-5, in place, on kBatch blocks of `size` values stored one
// after the other. Each block's sums add its values in order, as a loop over one block would;
// the kBatch sums run side by side so that their additions overlap instead of waiting on each
// other (a block's normalisation is otherwise one long chain of dependent additions).
constexpr int kBatch = 4;
void normalize_blocks(double* blocks, size_t size, Norm method) {
  constexpr double eps = 1e-5;
  const auto sums = [&](auto f, double* s) {
    for (int k = 0; k < kBatch; ++k) s[k] = 0;
    for (size_t j = 0; j < size; ++j)
      for (int k = 0; k < kBatch; ++k) s[k] += f(blocks[size_t(k) * size + j]);
  };
  double s[kBatch];
  if (method == Norm::kL1 || method == Norm::kL1Sqrt) {
    sums([](double v) { return std::abs(v); }, s);
    for (int k = 0; k < kBatch; ++k) {
      const double l1 = s[k] + eps;
      double* const v = blocks + size_t(k) * size;
      if (method == Norm::kL1) {
        for (size_t j = 0; j < size; ++j) v[j] = v[j] / l1;
      } else {
        for (size_t j = 0; j < size; ++j) v[j] = std::sqrt(v[j] / l1);
      }
    }
    return;
  }
  const auto scale_l2 = [&] {
    sums([](double v) { return v * v; }, s);
    for (int k = 0; k < kBatch; ++k) {
      const double l2 = std::sqrt(s[k] + eps * eps);
      double* const v = blocks + size_t(k) * size;
      for (size_t j = 0; j < size; ++j) v[j] /= l2;
    }
  };
  scale_l2();
  if (method == Norm::kL2Hys) {  // np.minimum(out, 0.2), then L2 again
    for (size_t j = 0; j < kBatch * size; ++j) blocks[j] = std::min(blocks[j], 0.2);
    scale_l2();
  }
}

// One row of votes: the bin of each pixel (n: none; kAllBins: all of them) and its magnitude;
// for the tables, the row's gradients of every channel and their magnitude-table indices.
struct RowVotes {
  explicit RowVotes(int cols, int channels)
      : bin(size_t(cols)), magnitude(size_t(cols)), g_row(size_t(cols) * channels), g_col(size_t(cols) * channels),
        index(size_t(cols) * channels) {}
  std::vector<int> bin;
  std::vector<double> magnitude;
  std::vector<int16_t> g_row, g_col;
  std::vector<int32_t> index;  // |g_row| * 256 + |g_col|
};

// Votes of row r of a uint8 image (1 or 3 channels), from the tables: the same values as
// gradients<double> and orientation_bin(orientation(...)) give. The gradients of all channels
// come first, in loops over the interleaved bytes that the compiler vectorises; then per pixel
// the channel (kChannels fixed at compile time keeps this loop in registers) and the lookups.
template <int kChannels>
void table_votes(const cv::Mat& image, int r, int cols, const std::vector<uint8_t>& bins, RowVotes& votes) {
  constexpr int K = kChannels;
  const int values = cols * K, inner_end = std::min(values, (image.cols - 1) * K);  // columns 1..W-2
  const uint8_t* const row = image.ptr<uint8_t>(r);
  int16_t* const g_row = votes.g_row.data();
  int16_t* const g_col = votes.g_col.data();
  int32_t* const index = votes.index.data();
  if (r > 0 && r < image.rows - 1) {  // the first and last rows have no row gradient
    const uint8_t* const up = image.ptr<uint8_t>(r - 1);
    const uint8_t* const down = image.ptr<uint8_t>(r + 1);
    for (int i = 0; i < values; ++i) g_row[i] = int16_t(down[i] - up[i]);
  } else {
    std::fill(g_row, g_row + values, int16_t(0));
  }
  std::fill(g_col, g_col + std::min(values, K), int16_t(0));  // the first and last columns have no column gradient
  for (int i = K; i < inner_end; ++i) g_col[i] = int16_t(row[i + K] - row[i - K]);
  std::fill(g_col + std::max(K, inner_end), g_col + values, int16_t(0));
  for (int i = 0; i < values; ++i) index[i] = std::abs(g_row[i]) * 256 + std::abs(g_col[i]);

  const MagnitudeTable& table = magnitude_table();
  const double* const magnitude = table.magnitude.data();
  const uint16_t* const rank = table.rank.data();
  const uint8_t* const bin = bins.data();
  for (int c = 0; c < cols; ++c) {
    int best = c * K, best_rank = rank[index[best]];
    for (int ch = 1; ch < K; ++ch) {  // the first channel with the largest magnitude
      const int i = c * K + ch, i_rank = rank[index[i]];
      const bool larger = i_rank > best_rank;
      best = larger ? i : best;
      best_rank = larger ? i_rank : best_rank;
    }
    votes.bin[size_t(c)] = bin[(g_row[best] + 255) * kSpan + g_col[best] + 255];
    votes.magnitude[size_t(c)] = magnitude[index[best]];
  }
}

// Votes of row r from gradients as hog() casts them (float64), for every other input.
void gradient_votes(const cv::Mat& g_row, const cv::Mat& g_col, int r, int cols, int n, RowVotes& votes) {
  const double per_180 = 180. / n;  // number_of_orientations_per_180
  const double* const gr = g_row.ptr<double>(r);
  const double* const gc = g_col.ptr<double>(r);
  for (int c = 0; c < cols; ++c) {
    votes.bin[size_t(c)] = orientation_bin(orientation(gr[c], gc[c]), n, per_180);
    votes.magnitude[size_t(c)] = std::hypot(gc[c], gr[c]);
  }
}

}  // namespace

void validate(const HogOptions& o) {
  TLAB_CHECK(o.orientations >= 1, "--hog-orientations: expected at least 1 bin, found ", o.orientations);
  TLAB_CHECK(o.pixels_per_cell >= 1 && o.pixels_per_cell_cols >= 0,
             "--hog-cell: expected cells of at least 1x1 pixels, found ", o.pixels_per_cell, "x",
             o.pixels_per_cell_cols);
  TLAB_CHECK(o.cells_per_block >= 1 && o.cells_per_block_cols >= 0,
             "--hog-block: expected blocks of at least 1x1 cells, found ", o.cells_per_block, "x",
             o.cells_per_block_cols);
  TLAB_CHECK(o.block_norm == "L1" || o.block_norm == "L1-sqrt" || o.block_norm == "L2" || o.block_norm == "L2-Hys",
             "--hog-norm: expected L1, L1-sqrt, L2 or L2-Hys, found '", o.block_norm, "'");
}

int hog_length(cv::Size size, const HogOptions& o) {
  const Grid g = grid(size, o);
  return g.blocks_row * g.blocks_col * g.block_rows * g.block_cols * o.orientations;
}

std::vector<float> hog(const cv::Mat& image, const HogOptions& o, cv::Mat* picture) {
  const int depth = image.depth();
  TLAB_CHECK((depth == CV_8U || depth == CV_32F || depth == CV_64F) && (image.channels() == 1 || image.channels() == 3),
             "hog: expected a uint8, float32 or float64 image with 1 or 3 channels, found depth ", depth, " with ",
             image.channels(), " channels");
  const Grid g = grid(image.size(), o);
  const int n = o.orientations;
  // Integer gradients: uint8 values used as they are; sqrt would make them fractional.
  const bool tables = depth == CV_8U && !o.transform_sqrt && n <= 254;
  cv::Mat g_row, g_col;
  if (!tables) {
    cv::Mat values;
    image.convertTo(values, depth == CV_32F ? CV_32F : CV_64F);  // image.astype(float_dtype): no scaling
    if (o.transform_sqrt) cv::sqrt(values, values);
    if (depth == CV_32F) gradients<float>(values, g_row, g_col);
    else gradients<double>(values, g_row, g_col);
  }
  const std::vector<uint8_t>* bins = tables ? &bin_table(n) : nullptr;

  // hog_histograms / cell_hog: each pixel votes its magnitude into the bin whose range holds its
  // orientation, summed in a C float (`cdef float total`) in row-major order, then divided by the
  // cell's pixel count in float. Cells cover rows [k * c_row, (k + 1) * c_row) exactly; pixels
  // right of and below the last whole cell do not vote.
  const int cols = g.cells_col * g.cell_cols;
  std::vector<double> hist(size_t(g.cells_row) * g.cells_col * n);  // [n_cells_row, n_cells_col, n]
  std::vector<float> total(size_t(g.cells_col) * n);                 // one row of cells
  RowVotes votes(cols, tables ? image.channels() : 0);
  for (int cr = 0; cr < g.cells_row; ++cr) {
    std::fill(total.begin(), total.end(), 0.f);
    for (int r = cr * g.cell_rows; r < (cr + 1) * g.cell_rows; ++r) {
      if (tables && image.channels() == 1) table_votes<1>(image, r, cols, *bins, votes);
      else if (tables) table_votes<3>(image, r, cols, *bins, votes);
      else gradient_votes(g_row, g_col, r, cols, n, votes);
      for (int cc = 0, c = 0; cc < g.cells_col; ++cc) {
        float* const cell = total.data() + size_t(cc) * n;
        for (const int end = c + g.cell_cols; c < end; ++c) {
          const int bin = votes.bin[size_t(c)];
          if (bin >= 0 && bin < n) {
            cell[bin] += votes.magnitude[size_t(c)];
          } else if (bin == kAllBins) {
            for (int i = 0; i < n; ++i) cell[i] += votes.magnitude[size_t(c)];
          }
        }
      }
    }
    for (size_t i = 0; i < total.size(); ++i)
      hist[size_t(cr) * total.size() + i] = total[i] / (g.cell_rows * g.cell_cols);
  }
  if (picture) {
    TLAB_CHECK(std::min(g.cell_rows, g.cell_cols) >= 2, "--hog-cell: the picture needs cells of at least 2x2 pixels ",
               "(skimage's visualize indexes outside the image with 1-pixel cells), found ", g.cell_rows, "x",
               g.cell_cols);
    *picture = draw_picture(image.size(), g, n, hist);
  }

  // normalized_blocks[r, c] = _hog_normalize_block(orientation_histogram[r:r + b_row, c:c + b_col, :]),
  // raveled as [n_blocks_row, n_blocks_col, b_row, b_col, n].
  const Norm norm = norm_of(o.block_norm);
  const size_t block_size = size_t(g.block_rows) * g.block_cols * n, cell_row = size_t(g.block_cols) * n;
  const int blocks = g.blocks_row * g.blocks_col;
  std::vector<float> out(size_t(blocks) * block_size);
  std::vector<double> batch(kBatch * block_size);
  for (int first = 0; first < blocks; first += kBatch) {
    const int count = std::min(kBatch, blocks - first);
    for (int k = 0; k < count; ++k) {
      const int br = (first + k) / g.blocks_col, bc = (first + k) % g.blocks_col;
      for (int r = 0; r < g.block_rows; ++r) {
        const auto cells = hist.begin() + std::ptrdiff_t((size_t(br + r) * g.cells_col + bc) * n);
        std::copy(cells, cells + std::ptrdiff_t(cell_row),
                  batch.begin() + std::ptrdiff_t(k * block_size + r * cell_row));
      }
    }
    std::fill(batch.begin() + std::ptrdiff_t(count * block_size), batch.end(), 0.0);  // unused slots
    normalize_blocks(batch.data(), block_size, norm);
    std::copy(batch.begin(), batch.begin() + std::ptrdiff_t(count * block_size),
              out.begin() + std::ptrdiff_t(size_t(first) * block_size));
  }
  return out;
}

}  // namespace tlab::features
